ALTER TABLE `outbox` ADD `first_failed_at` integer;--> statement-breakpoint
ALTER TABLE `outbox` ADD `failed_at` integer;