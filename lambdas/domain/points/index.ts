export * from './decimal';
export * from './calendar';
export * from './config';
export * from './rules';
export * from './allocation';
export * from './settle';
export * from './referral';
