/** Every workflow the worker registers. Deterministic code only (see eslint.config.mjs). */
export { wiringCheck } from './wiring-check';
export { superbillCopay } from './superbill-copay';
export { benchBaseline } from './bench-baseline';
