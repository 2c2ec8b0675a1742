DROP INDEX "outbox_once";--> statement-breakpoint
DROP INDEX "watcher_crashes_task";--> statement-breakpoint
ALTER TABLE "outbox" ADD COLUMN "world" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "watcher_conditions" ADD COLUMN "world" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "watcher_crashes" ADD COLUMN "world" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "watcher_handled_tasks" ADD COLUMN "world" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "watcher_incidents" ADD COLUMN "world" text DEFAULT '' NOT NULL;--> statement-breakpoint
ALTER TABLE "watcher_handled_tasks" DROP CONSTRAINT "watcher_handled_tasks_cluster_task_arn_pk";--> statement-breakpoint
ALTER TABLE "watcher_handled_tasks" ADD CONSTRAINT "watcher_handled_tasks_world_cluster_task_arn_pk" PRIMARY KEY("world","cluster","task_arn");--> statement-breakpoint
CREATE UNIQUE INDEX "outbox_once" ON "outbox" USING btree ("world","alert_key","platform","channel_id");--> statement-breakpoint
CREATE UNIQUE INDEX "watcher_crashes_task" ON "watcher_crashes" USING btree ("world","task_arn");
