import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

/**
 * Starts DynamoDB Local bound to one host (127.0.0.1) instead of every interface. The jar's own
 * main builds its Jetty server with `new Server(port)`, which listens on all addresses and has no
 * option for a host; this launcher builds the server from the same command line, sets the host on
 * its connector before it starts, and then runs it as the jar's main would.
 *
 * Usage (infra/local/dynamodb.ts compiles it once): java -Djava.library.path=DynamoDBLocal_lib -cp DynamoDBLocal.jar:CLASSES LocalDynamoDb HOST [jar options...]
 */
public final class LocalDynamoDb {
    private LocalDynamoDb() {}

    public static void main(String[] args) throws Exception {
        if (args.length < 1) {
            System.err.println("usage: LocalDynamoDb HOST [DynamoDB Local options]");
            System.exit(2);
        }
        String host = args[0];
        String[] options = java.util.Arrays.copyOfRange(args, 1, args.length);
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(options);
        // The Jetty server is a private field of the proxy: there is no accessor.
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        int bound = 0;
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector) {
                ((ServerConnector) connector).setHost(host);
                bound++;
            }
        }
        if (bound == 0) throw new IllegalStateException("DynamoDB Local has no network connector to bind to " + host);
        proxy.start();
        System.out.println("DynamoDB Local listening on " + host);
        proxy.join();
    }
}
