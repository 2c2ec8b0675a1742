CREATE TABLE `deploy_records` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`cluster` text NOT NULL,
	`region` text NOT NULL,
	`service` text NOT NULL,
	`container` text,
	`from_task_definition` text NOT NULL,
	`to_task_definition` text,
	`registered` integer DEFAULT false NOT NULL,
	`from_image` text,
	`to_image` text,
	`digest` text,
	`forced` integer DEFAULT false NOT NULL,
	`status` text NOT NULL,
	`detail` text,
	`platform` text NOT NULL,
	`user_id` text NOT NULL,
	`user_name` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `deploy_records_service` ON `deploy_records` (`cluster`,`service`,`id`);--> statement-breakpoint
CREATE INDEX `deploy_records_status` ON `deploy_records` (`status`);--> statement-breakpoint
CREATE TABLE `undo_tokens` (
	`token` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`cluster` text NOT NULL,
	`region` text NOT NULL,
	`service` text NOT NULL,
	`before` text NOT NULL,
	`after` text NOT NULL,
	`summary` text NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL,
	`used_at` integer
);
--> statement-breakpoint
ALTER TABLE `audit_log` ADD `cluster` text;--> statement-breakpoint
ALTER TABLE `audit_log` ADD `service` text;--> statement-breakpoint
CREATE INDEX `audit_log_service` ON `audit_log` (`cluster`,`service`,`id`);