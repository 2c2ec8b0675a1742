CREATE TABLE `outbox` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`alert_key` text NOT NULL,
	`platform` text NOT NULL,
	`channel_id` text NOT NULL,
	`reply` text NOT NULL,
	`thread_key` text,
	`thread_parent` integer DEFAULT 0 NOT NULL,
	`update_of` text,
	`service` text,
	`mention` text,
	`status` text DEFAULT 'pending' NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`next_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`sent_at` integer,
	`message_ref` text,
	`last_error` text,
	`folded_into` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_once` ON `outbox` (`alert_key`,`platform`,`channel_id`);--> statement-breakpoint
CREATE INDEX `outbox_lane` ON `outbox` (`platform`,`channel_id`,`status`,`id`);--> statement-breakpoint
CREATE TABLE `watcher_conditions` (
	`key` text PRIMARY KEY NOT NULL,
	`cluster` text NOT NULL,
	`service` text NOT NULL,
	`since` integer NOT NULL,
	`alerted_at` integer,
	`detail` text NOT NULL
);
--> statement-breakpoint
CREATE TABLE `watcher_crashes` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`cluster` text NOT NULL,
	`service` text NOT NULL,
	`task_arn` text NOT NULL,
	`task_id` text NOT NULL,
	`kind` text NOT NULL,
	`at` integer NOT NULL,
	`exit_code` integer,
	`reason` text NOT NULL,
	`incident_id` text
);
--> statement-breakpoint
CREATE INDEX `watcher_crashes_service` ON `watcher_crashes` (`cluster`,`service`,`at`);--> statement-breakpoint
CREATE UNIQUE INDEX `watcher_crashes_task` ON `watcher_crashes` (`task_arn`);--> statement-breakpoint
CREATE TABLE `watcher_handled_tasks` (
	`cluster` text NOT NULL,
	`task_arn` text NOT NULL,
	`handled_at` integer NOT NULL,
	PRIMARY KEY(`cluster`, `task_arn`)
);
--> statement-breakpoint
CREATE INDEX `watcher_handled_at` ON `watcher_handled_tasks` (`handled_at`);--> statement-breakpoint
CREATE TABLE `watcher_incidents` (
	`id` text PRIMARY KEY NOT NULL,
	`cluster` text NOT NULL,
	`service` text NOT NULL,
	`opened_at` integer NOT NULL,
	`first_crash_at` integer NOT NULL,
	`last_crash_at` integer NOT NULL,
	`crashes` integer NOT NULL,
	`last_reason` text NOT NULL,
	`last_exit_code` integer,
	`status` text NOT NULL,
	`recovered_at` integer
);
--> statement-breakpoint
CREATE INDEX `watcher_incidents_service` ON `watcher_incidents` (`cluster`,`service`,`status`);--> statement-breakpoint
CREATE TABLE `watcher_mutes` (
	`cluster` text NOT NULL,
	`service` text NOT NULL,
	`until` integer NOT NULL,
	`by` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`cluster`, `service`)
);
