export * from './canaries';
export { FakeProgressiveDeliveryApi } from './FakeProgressiveDeliveryApi';
