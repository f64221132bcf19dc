import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.cert.X509Certificate;
import java.util.List;
import javax.net.ssl.SSLContext;

/**
 * A program run from its source file ({@code java MeshClient.java URL}), as scripts and small
 * tools are: one HTTPS GET with the JVM's default TLS, no certificate of its own named. Prints
 * {@code OK status=<code> server_peer=<URI SAN of the server's certificate> body=<body>}.
 */
public class MeshClient {
  public static void main(String[] args) throws Exception {
    HttpClient client = HttpClient.newBuilder().sslContext(SSLContext.getDefault()).build();
    HttpResponse<String> response = client.send(
        HttpRequest.newBuilder(URI.create(args[0])).GET().build(),
        HttpResponse.BodyHandlers.ofString());
    X509Certificate leaf = (X509Certificate)
        response.sslSession().orElseThrow().getPeerCertificates()[0];
    String peer = "none";
    if (leaf.getSubjectAlternativeNames() != null) {
      for (List<?> name : leaf.getSubjectAlternativeNames()) {
        if ((Integer) name.get(0) == 6) {
          peer = (String) name.get(1);
        }
      }
    }
    System.out.println("OK status=" + response.statusCode() + " server_peer=" + peer
        + " body=" + response.body().trim());
  }
}
