export * from './dates';
export * from './csv';
export * from './marketData';
export * from './priceSource';
export * from './migrations';
