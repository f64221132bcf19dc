package dev.lanyard.testkit;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The test node's own network namespace, joined to this machine by one veth pair: the node's
 * processes (control plane, containerd, kubelet, kube-proxy) run inside it, so their listeners,
 * the pods' bridge, kube-proxy's iptables rules and the namespace's sysctls are the node's alone
 * and vanish with it. The host side of the pair is the only way in: nothing of the node listens
 * on this machine's own interfaces.
 */
final class NodeNetwork implements AutoCloseable {
  /** /30 subnets tried for the veth pair: 10.213.N.0/30, the first one no host route covers. */
  private static final String PREFIX = "10.213.";

  private final String namespace;
  private final String hostIp;
  private final String nodeIp;

  private NodeNetwork(String namespace, String hostIp, String nodeIp) {
    this.namespace = namespace;
    this.hostIp = hostIp;
    this.nodeIp = nodeIp;
  }

  /** Creates namespace {@code lanyard-ID} and the veth pair {@code lyhID} (host) / {@code lynID}. */
  static NodeNetwork create(String id) {
    int subnet = freeSubnet();
    String base = PREFIX + subnet + ".";
    NodeNetwork network = new NodeNetwork("lanyard-" + id, base + "1", base + "2");
    String hostLink = "lyh" + id;
    String nodeLink = "lyn" + id;
    ip("netns", "add", network.namespace);
    try {
      ip("link", "add", hostLink, "type", "veth", "peer", "name", nodeLink, "netns", network.namespace);
      ip("addr", "add", network.hostIp + "/30", "dev", hostLink);
      ip("link", "set", hostLink, "up");
      ip("-n", network.namespace, "link", "set", "lo", "up");
      ip("-n", network.namespace, "addr", "add", network.nodeIp + "/30", "dev", nodeLink);
      ip("-n", network.namespace, "link", "set", nodeLink, "up");
      // A default route, because kubelet and kube-proxy look for one; this machine does not
      // forward the node's traffic anywhere else.
      ip("-n", network.namespace, "route", "add", "default", "via", network.hostIp);
      return network;
    } catch (RuntimeException e) {
      network.close();
      throw e;
    }
  }

  String namespace() {
    return namespace;
  }

  /** The node's address: kube-apiserver, kubelet and the node's InternalIP. */
  String nodeIp() {
    return nodeIp;
  }

  /** The prefix that runs a command inside the namespace (and nothing else changed). */
  List<String> launcher() {
    return List.of("nsenter", "--net=/run/netns/" + namespace, "--");
  }

  /** Runs a command inside the namespace. */
  Command.Result run(Duration timeout, String... command) {
    List<String> full = new ArrayList<>(launcher());
    full.addAll(List.of(command));
    return Command.run(timeout, full);
  }

  /** Deletes the namespace, which takes its veth pair, bridge, routes and iptables rules along. */
  @Override
  public void close() {
    Command.run(Duration.ofSeconds(20), "ip", "netns", "del", namespace);
  }

  private static int freeSubnet() {
    for (int subnet = 0; subnet < 256; subnet++) {
      String routes = Command.run(Duration.ofSeconds(10),
          "ip", "-4", "route", "show", "match", PREFIX + subnet + ".0/30").orThrow();
      boolean onlyDefault = routes.lines().allMatch(line -> line.isBlank() || line.startsWith("default"));
      if (onlyDefault) {
        return subnet;
      }
    }
    throw new IllegalStateException("no free /30 in " + PREFIX + "0.0/16 for the node's veth pair:"
        + " every one is covered by a route of this machine (ip -4 route)");
  }

  private static void ip(String... args) {
    List<String> command = new ArrayList<>(List.of("ip"));
    command.addAll(List.of(args));
    Command.run(Duration.ofSeconds(20), command).orThrow();
  }
}
