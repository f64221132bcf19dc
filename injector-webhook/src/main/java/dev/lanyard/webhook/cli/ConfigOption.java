package dev.lanyard.webhook.cli;

import dev.lanyard.webhook.inject.InjectorConfig;
import dev.lanyard.webhook.inject.InjectorConfigLoader;
import dev.lanyard.webhook.inject.InvalidConfigException;
import java.nio.file.Path;
import picocli.CommandLine.Option;

/** {@code --config FILE}: the same injector configuration file the webhook reads. */
final class ConfigOption {
  @Option(
      names = "--config",
      paramLabel = "FILE",
      description =
          "Injector configuration YAML, as given to the webhook (default: built-in defaults).")
  Path file;

  InjectorConfig load() {
    try {
      return file == null ? InjectorConfigLoader.defaults() : InjectorConfigLoader.load(file);
    } catch (InvalidConfigException e) {
      throw new UserError(e.getMessage());
    }
  }
}
