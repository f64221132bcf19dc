package dev.lanyard.webhook.inject;

/**
 * Something the pod's owner should know although injection went ahead (or a container was left
 * out). {@code code} is snake_case; {@code message} says what, the value and the fix.
 */
public record InjectionWarning(String code, String message) {}
