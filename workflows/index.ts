// Every workflow the workers register. Workflow code only: no I/O, no Node built-ins.
export { pipeline } from './pipeline.ts';
export { experiment } from './experiment.ts';
