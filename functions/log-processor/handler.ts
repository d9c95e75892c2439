// Placeholder until the log-processor issue lands: the bundle must exist for synth.
export const handler = async (): Promise<never> => {
  throw new Error("the log processor is not built yet");
};
