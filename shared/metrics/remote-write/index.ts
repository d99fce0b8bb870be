export { RemoteWriteSink, MESHTEL_VERSION, type RemoteWriteSinkOptions, type RemoteWriteMetrics, type DropReason } from './remote-write-sink.js';
export { remoteWriteOptionsFromConfig, instanceLabelValue, INSTANCE_LABEL_NAME, type RemoteWriteConfig } from './config.js';
export { parseLabelList } from '../labels.js';
