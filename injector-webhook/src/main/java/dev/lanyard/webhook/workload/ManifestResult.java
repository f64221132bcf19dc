package dev.lanyard.webhook.workload;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lanyard.webhook.inject.InjectionReport;
import java.util.Optional;

/**
 * One manifest after injection.
 *
 * @param object the object, injected or unchanged
 * @param name {@code kind/name}, e.g. {@code deployment/web}
 * @param report empty for kinds that carry no pods (a Service, a ConfigMap)
 */
public record ManifestResult(JsonNode object, String name, Optional<InjectionReport> report) {}
