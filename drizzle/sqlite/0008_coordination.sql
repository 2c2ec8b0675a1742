CREATE TABLE `claims` (
	`key` text PRIMARY KEY NOT NULL,
	`claimed_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `claims_expires` ON `claims` (`expires_at`);--> statement-breakpoint
CREATE TABLE `confirmations` (
	`token` text PRIMARY KEY NOT NULL,
	`caller` text NOT NULL,
	`text` text NOT NULL,
	`question` text NOT NULL,
	`expires_at` integer NOT NULL,
	`audit_id` integer NOT NULL,
	`started_at` integer NOT NULL,
	`approval_cluster` text,
	`state` text DEFAULT 'pending' NOT NULL
);
--> statement-breakpoint
CREATE INDEX `confirmations_state` ON `confirmations` (`state`,`expires_at`);--> statement-breakpoint
CREATE TABLE `jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`kind` text NOT NULL,
	`args` text NOT NULL,
	`handle` text NOT NULL,
	`channel_key` text NOT NULL,
	`service` text,
	`owner` text NOT NULL,
	`lease_until` integer NOT NULL,
	`created_at` integer NOT NULL,
	`state` text DEFAULT 'running' NOT NULL,
	`stop_requested` integer DEFAULT false NOT NULL
);
--> statement-breakpoint
CREATE INDEX `jobs_state_lease` ON `jobs` (`state`,`lease_until`);--> statement-breakpoint
CREATE INDEX `jobs_channel` ON `jobs` (`channel_key`,`state`);--> statement-breakpoint
CREATE TABLE `slack_threads` (
	`channel_id` text NOT NULL,
	`key` text NOT NULL,
	`ts` text NOT NULL,
	`at` integer NOT NULL,
	PRIMARY KEY(`channel_id`, `key`)
);
--> statement-breakpoint
CREATE INDEX `slack_threads_at` ON `slack_threads` (`at`);