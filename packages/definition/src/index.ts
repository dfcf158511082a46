export * from './url-template.js';
export * from './text-template.js';
