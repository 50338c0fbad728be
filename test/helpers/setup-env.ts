// Keep test output to what the tests say: the SDK's notice about future Node versions is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
process.env.HARDHAT_DISABLE_TELEMETRY_PROMPT = 'true';
// Handlers log errors they map to 500s; tests that provoke them on purpose need not print them.
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
