import type { ConstraintLabel, OomKill } from './types.js';

const BY_NAME: Record<string, ConstraintLabel> = {
  CONSTRAINT_NONE: 'global',
  CONSTRAINT_MEMCG: 'memcg',
  CONSTRAINT_CPUSET: 'cpuset',
  CONSTRAINT_MEMORY_POLICY: 'mempolicy',
};

/**
 * The metrics' constraint label. The 5.0+ summary line names it (CONSTRAINT_*); without a summary
 * (older kernels, or the summary was rate-limited) the memcg/global distinction is still known from
 * the memcg paths the report printed. Anything else is unknown: ''.
 */
export function constraintLabel(kill: OomKill): ConstraintLabel {
  if (kill.constraint !== null) return BY_NAME[kill.constraint] ?? '';
  if (kill.killer !== 'kernel') return '';
  if (kill.oomMemcg !== null) return kill.oomMemcg === '/' ? 'global' : 'memcg';
  return '';
}
