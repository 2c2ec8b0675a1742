/**
 * Small types every layer needs. This module imports nothing, so ports and db code can use them
 * without importing core files that import the ports back.
 */

/** The platforms a caller can come from. */
export type Platform = 'slack' | 'discord' | 'console';
