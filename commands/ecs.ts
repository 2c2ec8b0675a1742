import type { ArgMap, CommandDef, SubcommandDef } from '../src/core/command.ts';
import { explainMissingCluster } from './ecs-common.ts';
import { alertSubcommands } from './ecs-alerts.ts';
import { diagnoseSub } from './ecs-diagnose.ts';
import { deploySub } from './ecs-deploy.ts';
import { undoSub } from './ecs-undo.ts';
import { rollbackSub } from './ecs-rollback.ts';
import { historySub } from './ecs-history.ts';
import { imagesSub } from './ecs-images.ts';
import { logsSub, unfollowSub } from './ecs-logs.ts';
import { metricsSub } from './ecs-metrics.ts';
import { restartSub, scaleSub } from './ecs-scale.ts';
import { clustersSub, servicesSub, statusSub } from './ecs-services.ts';

/** Every /ecs subcommand, so that a configured cluster ECS does not know gets did-you-mean too. */
function withClusterHints(sub: SubcommandDef): SubcommandDef {
  const handler: SubcommandDef['handler'] = async (args, ctx) => {
    try {
      return await sub.handler(args, ctx);
    } catch (e) {
      throw await explainMissingCluster(e, ctx, (args as ArgMap).cluster);
    }
  };
  const ask = sub.confirm;
  const confirm: SubcommandDef['confirm'] = ask
    ? async (args, ctx) => {
        try {
          return await ask(args, ctx);
        } catch (e) {
          throw await explainMissingCluster(e, ctx, (args as ArgMap).cluster);
        }
      }
    : undefined;
  return { ...sub, handler, ...(confirm ? { confirm } : {}) };
}

/** `/ecs`: clusters, services, status, diagnose, metrics, scale, restart, logs and images, on real AWS or the sandbox. */
export const ecs = {
  name: 'ecs',
  description: 'Amazon ECS: services, status, diagnosis, metrics, scaling, restarts, deploys, logs and images',
  subcommands: [clustersSub, servicesSub, statusSub, diagnoseSub, metricsSub, scaleSub, restartSub, deploySub, rollbackSub, undoSub, historySub, logsSub, unfollowSub, imagesSub, ...alertSubcommands].map(withClusterHints),
} satisfies CommandDef;
