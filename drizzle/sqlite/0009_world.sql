DROP INDEX `outbox_once`;--> statement-breakpoint
ALTER TABLE `outbox` ADD `world` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_once` ON `outbox` (`world`,`alert_key`,`platform`,`channel_id`);--> statement-breakpoint
DROP INDEX `watcher_crashes_task`;--> statement-breakpoint
ALTER TABLE `watcher_crashes` ADD `world` text DEFAULT '' NOT NULL;--> statement-breakpoint
CREATE UNIQUE INDEX `watcher_crashes_task` ON `watcher_crashes` (`world`,`task_arn`);--> statement-breakpoint
PRAGMA foreign_keys=OFF;--> statement-breakpoint
CREATE TABLE `__new_watcher_handled_tasks` (
	`world` text DEFAULT '' NOT NULL,
	`cluster` text NOT NULL,
	`task_arn` text NOT NULL,
	`handled_at` integer NOT NULL,
	PRIMARY KEY(`world`, `cluster`, `task_arn`)
);
--> statement-breakpoint
INSERT INTO `__new_watcher_handled_tasks`("world", "cluster", "task_arn", "handled_at") SELECT '', "cluster", "task_arn", "handled_at" FROM `watcher_handled_tasks`;--> statement-breakpoint
DROP TABLE `watcher_handled_tasks`;--> statement-breakpoint
ALTER TABLE `__new_watcher_handled_tasks` RENAME TO `watcher_handled_tasks`;--> statement-breakpoint
PRAGMA foreign_keys=ON;--> statement-breakpoint
CREATE INDEX `watcher_handled_at` ON `watcher_handled_tasks` (`handled_at`);--> statement-breakpoint
ALTER TABLE `watcher_conditions` ADD `world` text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE `watcher_incidents` ADD `world` text DEFAULT '' NOT NULL;