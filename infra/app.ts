import { App } from 'aws-cdk-lib';
import { loadEnvironment, type SsiEnvironment } from './environment';
import { addNagChecks, createSsiStacks } from './stacks';

// `npx cdk synth|deploy -c env=dev|prod`: cdk.json holds each environment's parameters.
const app = new App();
let ssi: SsiEnvironment;
try {
  ssi = loadEnvironment(app.node);
} catch (error) {
  // A configuration mistake is the operator's to fix: say what, without a stack trace.
  console.error(`\n${(error as Error).message}\n`);
  process.exit(1);
}
createSsiStacks(app, ssi);
addNagChecks(app);
app.synth();
