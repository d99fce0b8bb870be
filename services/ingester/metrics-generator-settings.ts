/**
 * The metrics generator's settings: the service graph's wait window and the span metrics' extra
 * dimensions (as text), each the deriver's own field and default.
 */
import { z } from 'zod';
import { serviceGraphSettings } from '../../shared/metrics/servicegraph/service-graph-settings.js';
import { dimensionListText } from '../../shared/metrics/spanmetrics/span-metrics-settings.js';

export const metricsGeneratorSettings = z.object({
  serviceGraphWaitMs: serviceGraphSettings.shape.waitMs,
  spanMetricsDimensions: dimensionListText,
});
