package dev.lanyard.webhook.inject;

/** Snake_case reasons for leaving one app container out while injecting the rest of the pod. */
public final class ContainerSkips {
  /** {@code lanyard.dev/containers} does not name it. */
  public static final String NOT_SELECTED = "not_selected";

  /** Its JAVA_TOOL_OPTIONS comes from a ConfigMap, Secret or field: Lanyard cannot append to it. */
  public static final String JAVA_TOOL_OPTIONS_FROM_SOURCE = "java_tool_options_from_source";

  /** It already mounts something else where Lanyard would mount the socket or the jar. */
  public static final String MOUNT_PATH_CONFLICT = "mount_path_conflict";

  private ContainerSkips() {}
}
