export { RemoteWriteSink, MESHTEL_VERSION, type RemoteWriteSinkOptions, type RemoteWriteMetrics, type DropReason } from './remote-write-sink.js';
export { remoteWriteSinkOptions, instanceLabelValue, INSTANCE_LABEL_NAME } from './config.js';
export { remoteWriteSettings, REMOTE_WRITE_DEFAULTS, type RemoteWriteSettings } from './settings.js';
export { parseLabelList } from '../labels.js';
