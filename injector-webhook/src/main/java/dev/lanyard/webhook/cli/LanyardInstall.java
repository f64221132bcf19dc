package dev.lanyard.webhook.cli;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One installation of the chart, as the cluster shows it: the webhook's ConfigMap (key {@code
 * injector.yaml}, the file the webhook reads with {@code --config}) labelled {@code
 * app.kubernetes.io/part-of=lanyard}. The chart names the webhook's Deployment, Service and
 * ConfigMap alike, so {@code name} is all three.
 */
record LanyardInstall(String namespace, String name, String injectorYaml) {
  static final String PART_OF_LABEL = "app.kubernetes.io/part-of";
  static final String PART_OF = "lanyard";
  static final String CONFIG_KEY = "injector.yaml";

  /** {@code namespace/name} of the ConfigMap, for messages. */
  String where() {
    return "ConfigMap " + namespace + "/" + name;
  }

  /**
   * The one installation in {@code namespace}, or in the whole cluster when it is null; a user
   * error naming what was found when there is none or more than one.
   */
  static LanyardInstall find(KubernetesClient client, String namespace) {
    List<ConfigMap> found =
        (namespace == null
                ? client.configMaps().inAnyNamespace().withLabel(PART_OF_LABEL, PART_OF).list()
                : client
                    .configMaps()
                    .inNamespace(namespace)
                    .withLabel(PART_OF_LABEL, PART_OF)
                    .list())
            .getItems().stream()
                .filter(map -> map.getData() != null && map.getData().containsKey(CONFIG_KEY))
                .toList();
    String scope = namespace == null ? "any namespace" : "namespace " + namespace;
    if (found.isEmpty()) {
      throw new UserError(
          "no Lanyard injector configuration in "
              + scope
              + " (a ConfigMap labelled "
              + PART_OF_LABEL
              + "="
              + PART_OF
              + " with key "
              + CONFIG_KEY
              + ", which the chart installs); install the chart (helm install lanyard"
              + " charts/lanyard), or pass --config FILE or --offline to work without a cluster");
    }
    if (found.size() > 1) {
      throw new UserError(
          "more than one Lanyard installation in "
              + scope
              + " ("
              + found.stream()
                  .map(map -> map.getMetadata().getNamespace() + "/" + map.getMetadata().getName())
                  .collect(Collectors.joining(", "))
              + "); choose one with --lanyard-namespace NS");
    }
    ConfigMap map = found.get(0);
    Map<String, String> data = map.getData();
    return new LanyardInstall(
        map.getMetadata().getNamespace(), map.getMetadata().getName(), data.get(CONFIG_KEY));
  }
}
