package io.demlearn.schemas.registry;

/** The registry refused a schema because the subject's compatibility rule forbids the change. */
public class IncompatibleSchemaException extends SchemaRegistryException {
  private static final long serialVersionUID = 1L;

  public IncompatibleSchemaException(String message, int httpStatus, int errorCode) {
    super(message, httpStatus, errorCode, null);
  }
}
