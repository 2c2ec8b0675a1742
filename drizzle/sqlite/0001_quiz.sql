CREATE TABLE `quiz_answers` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`session_id` text NOT NULL,
	`platform` text NOT NULL,
	`workspace_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`user_id` text NOT NULL,
	`user_name` text NOT NULL,
	`pack` text NOT NULL,
	`item_id` text NOT NULL,
	`section` text NOT NULL,
	`kind` text NOT NULL,
	`choice` text,
	`answer_text` text,
	`correct` integer NOT NULL,
	`points` integer NOT NULL,
	`coverage` integer,
	`response_ms` integer NOT NULL,
	`answered_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `quiz_answers_once` ON `quiz_answers` (`session_id`,`item_id`,`user_id`);--> statement-breakpoint
CREATE INDEX `quiz_answers_user` ON `quiz_answers` (`platform`,`workspace_id`,`user_id`,`answered_at`);--> statement-breakpoint
CREATE TABLE `quiz_daily` (
	`platform` text NOT NULL,
	`workspace_id` text NOT NULL,
	`pack` text NOT NULL,
	`day` integer NOT NULL,
	`user_id` text NOT NULL,
	`user_name` text NOT NULL,
	`points` integer NOT NULL,
	`correct` integer NOT NULL,
	`answered` integer NOT NULL,
	PRIMARY KEY(`platform`, `workspace_id`, `day`, `pack`, `user_id`)
);
--> statement-breakpoint
CREATE TABLE `quiz_interviews` (
	`id` text PRIMARY KEY NOT NULL,
	`platform` text NOT NULL,
	`workspace_id` text NOT NULL,
	`user_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`pack` text NOT NULL,
	`item_id` text NOT NULL,
	`phase` text NOT NULL,
	`started_at` integer NOT NULL,
	`coverage` integer
);
--> statement-breakpoint
CREATE INDEX `quiz_interviews_user` ON `quiz_interviews` (`platform`,`workspace_id`,`user_id`,`phase`);--> statement-breakpoint
CREATE TABLE `quiz_reviews` (
	`platform` text NOT NULL,
	`workspace_id` text NOT NULL,
	`user_id` text NOT NULL,
	`pack` text NOT NULL,
	`item_id` text NOT NULL,
	`due` integer NOT NULL,
	`card` text NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`platform`, `workspace_id`, `user_id`, `pack`, `item_id`)
);
--> statement-breakpoint
CREATE INDEX `quiz_reviews_due` ON `quiz_reviews` (`platform`,`workspace_id`,`user_id`,`due`);--> statement-breakpoint
CREATE TABLE `quiz_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`scope` text NOT NULL,
	`platform` text NOT NULL,
	`workspace_id` text NOT NULL,
	`channel_id` text NOT NULL,
	`pack` text NOT NULL,
	`state` text NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`active` integer DEFAULT 1 NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `quiz_sessions_active_scope` ON `quiz_sessions` (`scope`) WHERE active = 1;--> statement-breakpoint
CREATE TABLE `quiz_totals` (
	`platform` text NOT NULL,
	`workspace_id` text NOT NULL,
	`pack` text NOT NULL,
	`user_id` text NOT NULL,
	`user_name` text NOT NULL,
	`points` integer NOT NULL,
	`correct` integer NOT NULL,
	`answered` integer NOT NULL,
	PRIMARY KEY(`platform`, `workspace_id`, `pack`, `user_id`)
);
