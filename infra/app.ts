import { App } from 'aws-cdk-lib';
import { loadEnvironment } from './environment';
import { addNagChecks, createSsiStacks } from './stacks';

// `npx cdk synth|deploy -c env=dev|prod`: cdk.json holds each environment's parameters.
const app = new App();
createSsiStacks(app, loadEnvironment(app.node));
addNagChecks(app);
app.synth();
