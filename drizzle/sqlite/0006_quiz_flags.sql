CREATE TABLE `quiz_flags` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`platform` text NOT NULL,
	`workspace_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`user_id` text NOT NULL,
	`user_name` text NOT NULL,
	`pack` text NOT NULL,
	`item_id` text NOT NULL,
	`reason` text NOT NULL,
	`created_at` integer NOT NULL,
	`resolved_at` integer,
	`resolved_by` text,
	`resolution_note` text
);
--> statement-breakpoint
CREATE INDEX `quiz_flags_open` ON `quiz_flags` (`platform`,`workspace_id`,`resolved_at`,`pack`,`item_id`);--> statement-breakpoint
CREATE TABLE `quiz_last_shown` (
	`platform` text NOT NULL,
	`workspace_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`user_id` text NOT NULL,
	`pack` text NOT NULL,
	`item_id` text NOT NULL,
	`shown_at` integer NOT NULL,
	PRIMARY KEY(`platform`, `workspace_id`, `channel_id`, `user_id`)
);
