import type { CommandDef } from '../src/core/command.ts';
import { alertSubcommands } from './ecs-alerts.ts';
import { imagesSub } from './ecs-images.ts';
import { logsSub } from './ecs-logs.ts';
import { restartSub, scaleSub } from './ecs-scale.ts';
import { clustersSub, servicesSub, statusSub } from './ecs-services.ts';

/** `/ecs`: clusters, services, status, scale, restart, logs and images, on real AWS or the sandbox. */
export const ecs = {
  name: 'ecs',
  description: 'Amazon ECS: services, status, scaling, restarts, logs and images',
  subcommands: [clustersSub, servicesSub, statusSub, scaleSub, restartSub, logsSub, imagesSub, ...alertSubcommands],
} satisfies CommandDef;
