// Reads a Parquet file with hyparquet, a JavaScript Parquet reader that shares
// no code with DuckDB, and prints them as JSON on stdout, one entry per file:
//   {"<file>": {key_value_metadata: {k: v}, schema: [names], codecs: [...], row_groups, rows: [{...}]}}
// Usage: node read_parquet.mjs NODE_MODULES_DIR FILE.parquet...
import { pathToFileURL } from 'node:url'
import path from 'node:path'

const [modules, ...files] = process.argv.slice(2)
if (!modules || !files.length) {
  console.error('usage: node read_parquet.mjs NODE_MODULES_DIR FILE.parquet...')
  process.exit(2)
}
// The modules live in the git-ignored third_party/node, not beside this script.
const load = (entry) => import(pathToFileURL(path.join(modules, entry)).href)
const { asyncBufferFromFile, parquetMetadataAsync, parquetReadObjects, parquetSchema } =
  await load('hyparquet/src/node.js')
const { compressors } = await load('hyparquet-compressors/src/index.js')

async function read(file) {
  const buffer = await asyncBufferFromFile(file)
  const metadata = await parquetMetadataAsync(buffer)
  const rows = await parquetReadObjects({ file: buffer, metadata, compressors })
  const kv = {}
  for (const { key, value } of metadata.key_value_metadata ?? []) kv[key] = value
  const codecs = new Set()
  for (const group of metadata.row_groups) {
    for (const column of group.columns) codecs.add(column.meta_data.codec)
  }
  return {
    key_value_metadata: kv,
    schema: parquetSchema(metadata).children.map((c) => c.element.name),
    codecs: [...codecs],
    row_groups: metadata.row_groups.length,
    // Float32 values arrive as exact JS doubles; JSON keeps them exact.
    rows: rows.map((r) => Object.fromEntries(Object.entries(r)
      .map(([k, v]) => [k, ArrayBuffer.isView(v) ? Array.from(v) : v]))),
  }
}

const out = {}
for (const file of files) out[file] = await read(file)
process.stdout.write(JSON.stringify(out, (k, v) => (typeof v === 'bigint' ? Number(v) : v)))
