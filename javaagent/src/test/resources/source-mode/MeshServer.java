import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsExchange;
import com.sun.net.httpserver.HttpsServer;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLPeerUnverifiedException;

/**
 * A program run from its source file ({@code java MeshServer.java}): the JDK HttpsServer with its
 * default configurator over the default SSLContext, asking for no client certificate. Prints
 * {@code LISTENING port=<n>}; answers {@code peer=<URI SAN of the client's certificate, or none>}.
 */
public class MeshServer {
  public static void main(String[] args) throws Exception {
    HttpsServer server = HttpsServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    server.setHttpsConfigurator(new HttpsConfigurator(SSLContext.getDefault()));
    server.createContext("/", exchange -> {
      String peer = "none";
      try {
        X509Certificate leaf = (X509Certificate)
            ((HttpsExchange) exchange).getSSLSession().getPeerCertificates()[0];
        for (List<?> name : leaf.getSubjectAlternativeNames()) {
          if ((Integer) name.get(0) == 6) {
            peer = (String) name.get(1);
          }
        }
      } catch (SSLPeerUnverifiedException | java.security.cert.CertificateParsingException e) {
        peer = "none";
      }
      byte[] body = ("peer=" + peer).getBytes(StandardCharsets.UTF_8);
      exchange.sendResponseHeaders(200, body.length);
      exchange.getResponseBody().write(body);
      exchange.close();
    });
    server.start();
    System.out.println("LISTENING port=" + server.getAddress().getPort());
  }
}
