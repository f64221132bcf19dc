package dev.lanyard.demo;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.webhook.workload.Manifests;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/** The demo's Kubernetes manifests ({@code demo-apps/k8s/*.yaml}), read once. */
final class DemoManifests {
  /** One port of one pod (a Deployment's pod), as a Service's targetPort resolves to. */
  record PodPort(String deployment, int port) {}

  private final List<JsonNode> objects;

  private DemoManifests(List<JsonNode> objects) {
    this.objects = objects;
  }

  static DemoManifests read(Path directory) {
    List<JsonNode> objects = new ArrayList<>();
    try (Stream<Path> files = Files.list(directory)) {
      for (Path file : files.filter(f -> f.toString().endsWith(".yaml")).sorted().toList()) {
        try (Reader reader = Files.newBufferedReader(file)) {
          objects.addAll(Manifests.read(reader, file.toString()));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the manifests in " + directory, e);
    }
    return new DemoManifests(objects);
  }

  List<JsonNode> all() {
    return objects;
  }

  List<JsonNode> ofKind(String kind) {
    return objects.stream().filter(o -> kind.equals(o.path("kind").asText())).toList();
  }

  List<JsonNode> deployments() {
    return ofKind("Deployment");
  }

  SpiffeIdTemplate spiffeIdTemplate() {
    List<JsonNode> ids = ofKind("ClusterSPIFFEID");
    if (ids.size() != 1) {
      throw new IllegalStateException("expected one ClusterSPIFFEID in the manifests, found " + ids.size());
    }
    return new SpiffeIdTemplate(ids.get(0).path("spec").path("spiffeIDTemplate").asText());
  }

  /**
   * The DNS names the Services get: {@code <name>.<namespace>.svc} and the full {@code
   * <name>.<namespace>.svc.cluster.local} (cluster DNS answers both).
   */
  List<String> serviceHosts() {
    return ofKind("Service").stream()
        .map(s -> name(s) + "." + s.path("metadata").path("namespace").asText() + ".svc")
        .flatMap(host -> Stream.of(host, host + ".cluster.local"))
        .toList();
  }

  /**
   * Where a call to {@code host:port} lands, as kube-proxy would route it: the Service named by the
   * host's first label, its port, the targetPort (a number or a container port's name) on the pod of
   * the Deployment its selector matches.
   */
  Optional<PodPort> serviceTarget(String host, int port) {
    String serviceName = host.split("\\.")[0];
    for (JsonNode service : ofKind("Service")) {
      if (!name(service).equals(serviceName)) {
        continue;
      }
      for (JsonNode servicePort : service.path("spec").path("ports")) {
        if (servicePort.path("port").asInt() != port) {
          continue;
        }
        JsonNode target = servicePort.has("targetPort") ? servicePort.get("targetPort")
            : servicePort.get("port");
        JsonNode deployment = selectedDeployment(service.path("spec").path("selector"));
        int podPort = target.isNumber() ? target.asInt() : namedPort(deployment, target.asText());
        return Optional.of(new PodPort(name(deployment), podPort));
      }
    }
    return Optional.empty();
  }

  private JsonNode selectedDeployment(JsonNode selector) {
    for (JsonNode deployment : deployments()) {
      JsonNode labels = deployment.path("spec").path("template").path("metadata").path("labels");
      boolean matches = true;
      for (var entry : (Iterable<java.util.Map.Entry<String, JsonNode>>) selector::fields) {
        matches &= entry.getValue().asText().equals(labels.path(entry.getKey()).asText());
      }
      if (matches) {
        return deployment;
      }
    }
    throw new IllegalStateException("no Deployment's pods match the Service selector " + selector);
  }

  private static int namedPort(JsonNode deployment, String portName) {
    for (JsonNode container : deployment.path("spec").path("template").path("spec").path("containers")) {
      for (JsonNode port : container.path("ports")) {
        if (portName.equals(port.path("name").asText())) {
          return port.path("containerPort").asInt();
        }
      }
    }
    throw new IllegalStateException("deployment " + name(deployment) + " has no port named " + portName);
  }

  static String name(JsonNode object) {
    return object.path("metadata").path("name").asText();
  }
}
