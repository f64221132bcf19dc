package dev.lanyard.webhook.cli;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.LocalPortForward;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/**
 * A port-forward through the apiserver (as {@code kubectl port-forward}) to the pod's admin port,
 * one per request: the admin endpoint listens on the pod's loopback, which nothing else reaches.
 */
final class PortForwardAdminEndpoint implements AdminEndpoint {
  private final KubernetesClient client;
  private final Duration timeout;
  private final HttpClient http;

  PortForwardAdminEndpoint(KubernetesClient client, Duration timeout) {
    this.client = client;
    this.timeout = timeout;
    this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
  }

  @Override
  public String get(String namespace, String pod, int port, String path) throws IOException {
    try (LocalPortForward forward =
        client.pods().inNamespace(namespace).withName(pod).portForward(port)) {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + forward.getLocalPort() + path))
                  .timeout(timeout)
                  .GET()
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        throw new IOException(
            "GET " + path + " answered " + response.statusCode() + ": " + response.body().strip());
      }
      return response.body();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted", e);
    } catch (RuntimeException e) {
      throw new IOException(
          "port-forward to " + pod + ":" + port + " failed: " + e.getMessage(), e);
    }
  }
}
