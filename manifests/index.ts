export * from './manifest.js';
export * from './render.js';
export * from './write.js';
export * from './synth-report.js';
