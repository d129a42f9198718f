export * from './telemetry-settings';
export * from './telemetry-sdk';
export * from './spans';
export * from './telemetry.module';
export { SpanKind } from '@opentelemetry/api';
