'use strict';
// Codec plugins for kafkajs 2.2.4, which ships only gzip: Snappy through kafkajs-snappy (pure JS, snappyjs),
// LZ4 through lz4js (pure JS; Kafka's LZ4 is the LZ4 frame format, which lz4js reads and writes) and ZSTD
// through zstd-codec (emscripten, no native download). Each is registered only when asked for, so a missing
// package fails only the codec that needs it.

const { CompressionTypes, CompressionCodecs } = require('kafkajs');

function lz4Codec() {
  const lz4 = require('lz4js');
  return () => ({
    async compress(encoder) {
      return Buffer.from(lz4.compress(encoder.buffer));
    },
    async decompress(buffer) {
      return Buffer.from(lz4.decompress(buffer));
    },
  });
}

async function zstdCodec() {
  const { ZstdCodec } = require('zstd-codec');
  const zstd = await new Promise((resolve) => ZstdCodec.run(resolve));
  const simple = new zstd.Simple();
  const streaming = new zstd.Streaming();
  return () => ({
    async compress(encoder) {
      return Buffer.from(simple.compress(encoder.buffer, 3));
    },
    // Streaming decompression also reads frames that do not record their content size.
    async decompress(buffer) {
      return Buffer.from(streaming.decompress(buffer));
    },
  });
}

const TYPES = {
  none: CompressionTypes.None, gzip: CompressionTypes.GZIP, snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4, zstd: CompressionTypes.ZSTD,
};

// Registers the codec plugin for name (if it needs one) and returns its kafkajs CompressionTypes value.
async function useCodec(name) {
  if (!(name in TYPES)) throw new Error(`unknown codec ${name}`);
  if (name === 'snappy') CompressionCodecs[CompressionTypes.Snappy] = require('kafkajs-snappy');
  if (name === 'lz4') CompressionCodecs[CompressionTypes.LZ4] = lz4Codec();
  if (name === 'zstd') CompressionCodecs[CompressionTypes.ZSTD] = await zstdCodec();
  return TYPES[name];
}

module.exports = { useCodec };
