"""The engine's building blocks for cluster mode (verger.cluster, verger.tasks,
`python3 -m verger.dask`) and for tests: planning, one partition's
extraction, PCA statistics, fit and transform on object stores. Private: these
follow the engine, not a stable API; users call verger.Featurizer,
verger.read_features and the `verger` / `verger-dask` commands."""
from ._verger import (ExtractJob, PartitionOutcome, PartitionTask, TransformOutcome, Worker,  # noqa: F401
                      dataset_partitions, run_fit_task, run_stats_task, run_transform_task)
from ._verger import (EXTRACT_DEFAULTS, SCATTER_MAX_POINTS, Extractor, Store, features_manifest,  # noqa: F401
                      finish_transform, fit_pca, list_images, merge_stats, object_sizes, open_store,
                      partition_inputs_hash, partition_is_complete, partition_marker_key, partition_name,
                      partition_pca_stats, pca_stats_key, plan_partitions, prepare_output, read_dataset,
                      read_features_manifest, read_json, read_pca_model, remove_unreferenced, stats_info,
                      transform_partition, tree_merge_stats, write_errors_csv, write_json)
