/**
 * Props of a construct that cannot work together (or at all): synth stops with a sentence naming
 * the construct and every prop involved, as the AWS CDK's constructs do.
 */
export class InvalidPropsError extends Error {
  override name = "InvalidPropsError";
}
