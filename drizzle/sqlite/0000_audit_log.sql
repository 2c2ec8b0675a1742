CREATE TABLE `audit_log` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`at` integer NOT NULL,
	`platform` text NOT NULL,
	`workspace_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`user_id` text NOT NULL,
	`user_name` text NOT NULL,
	`command` text NOT NULL,
	`outcome` text DEFAULT 'pending' NOT NULL,
	`detail` text,
	`duration_ms` integer
);
--> statement-breakpoint
CREATE INDEX `audit_log_at` ON `audit_log` (`at`);