// Placeholder until the aligner issue lands: the bundle must exist for synth.
export const handler = async (): Promise<never> => {
  throw new Error("the aligner handler is not built yet");
};
