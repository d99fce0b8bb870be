// snappyjs ships no types. Only the block format is offered, which is what remote-write requires
// (the framed/stream format must not be used).
declare module 'snappyjs' {
  type Input = Uint8Array | ArrayBuffer | Buffer;
  const snappy: {
    compress<T extends Input>(input: T): T;
    uncompress<T extends Input>(input: T, maxLength?: number): T;
  };
  export default snappy;
}
