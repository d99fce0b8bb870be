export { ExpositionSink, type ExpositionSinkOptions } from './exposition-sink.js';
export { renderExposition, EXPOSITION_CONTENT_TYPE } from './render.js';
