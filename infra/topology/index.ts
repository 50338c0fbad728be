// The declarations live in topology/ at the repository root, so lambdas/ and infra/ both import
// them without lambdas/ depending on infra/. Infra code keeps importing '../topology'.
export * from '../../topology';
