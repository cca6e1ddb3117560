"""Where Splink runs: DuckDB on this machine (the default), or Spark beyond one machine.

cruce's features are always prepared in DuckDB; a backend gives Splink that table and hands the
scored pairs and clusters back as DuckDB tables, so everything after scoring is the same.
"""

from __future__ import annotations

from typing import Any, Protocol

import duckdb
from splink import DuckDBAPI

from cruce.errors import LinkageConfigError

# Columns `name|country` whose term frequency is the name's share among the records of that
# country, not of all records (Splink's own tables divide by all): a surname common in
# Honduras may be rare in Mexico.
IN_COUNTRY = ("surnames_in_country",)


def in_country_frequencies(con: duckdb.DuckDBPyConnection, column: str) -> Any:
    """Arrow table `column, tf_column`: each value's share among its country's records."""
    return con.sql(
        f"SELECT {column}, count(*) / sum(count(*)) OVER (PARTITION BY "
        f"split_part({column}, '|', 2)) AS tf_{column} FROM features "
        f"WHERE {column} IS NOT NULL GROUP BY {column}"
    ).to_arrow_table()


class Backend(Protocol):
    name: str
    con: duckdb.DuckDBPyConnection

    def features(self) -> Any:
        """A fresh Splink input over the `features` table."""

    def table(self, data: Any, name: str) -> Any:
        """A Splink input over an Arrow table."""

    def to_duckdb(self, splink_frame: Any, table: str) -> str:
        """Copy a Splink result into the DuckDB connection; returns the table name."""


class DuckDBBackend:
    name = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con = con
        self.api = DuckDBAPI(connection=con)
        self.tables: dict[str, Any] = {}

    def features(self) -> Any:
        return self.api.register("features")

    def table(self, data: Any, name: str) -> Any:
        # Splink registers a name once per API; a second linker of the same run (retraining
        # on judged pairs) reuses it: the features, and so the lookups, have not changed.
        if name not in self.tables:
            self.tables[name] = self.api.register(data, table_name=name)
        return self.tables[name]

    def to_duckdb(self, splink_frame: Any, table: str) -> str:
        return str(splink_frame.physical_name)


class SparkBackend:
    """Spark through Splink's SparkAPI; `master` local[2] here, a cluster URL at national scale."""

    name = "spark"

    def __init__(self, con: duckdb.DuckDBPyConnection, master: str = "local[2]") -> None:
        try:
            from pyspark.sql import SparkSession
            from splink import SparkAPI
            from splink.internals.spark.jar_location import similarity_jar_location
        except ImportError:
            raise LinkageConfigError(
                "--engine spark needs pyspark: pip install 'cruce[spark]' (and Java 17)"
            ) from None
        self.con = con
        self.spark = (
            SparkSession.builder.master(master)
            .appName("cruce-link")
            .config("spark.jars", similarity_jar_location())
            .config("spark.sql.shuffle.partitions", "8")
            .config("spark.ui.enabled", "false")
            .config("spark.ui.showConsoleProgress", "false")
            .config("spark.driver.memory", "4g")
            .getOrCreate()
        )
        self.spark.sparkContext.setLogLevel("ERROR")
        self.spark.sparkContext.setCheckpointDir("/tmp/cruce-spark-checkpoints")
        self.api = SparkAPI(spark_session=self.spark)  # type: ignore[no-untyped-call]
        table = con.sql("SELECT * FROM features").to_arrow_table()
        self.frame = self.spark.createDataFrame(table.to_pylist(), schema=_spark_schema(table))
        self.count = 0
        self.tables: dict[str, Any] = {}

    def features(self) -> Any:
        self.count += 1
        return self.api.register(self.frame, table_name=f"features_{self.count}")

    def table(self, data: Any, name: str) -> Any:
        if name not in self.tables:  # once per run, as DuckDBBackend.table
            frame = self.spark.createDataFrame(data.to_pylist(), schema=_spark_schema(data))
            self.tables[name] = self.api.register(frame, table_name=name)
        return self.tables[name]

    def to_duckdb(self, splink_frame: Any, table: str) -> str:
        frame = splink_frame.as_pandas_dataframe()
        self.con.register("spark_result", frame)
        self.con.execute(f"CREATE OR REPLACE TABLE {table} AS SELECT * FROM spark_result")
        self.con.unregister("spark_result")
        return table


def use_in_country_frequencies(runner: Backend, linker: Any) -> None:
    """Give the linker cruce's own term frequencies of the IN_COUNTRY columns."""
    for column in IN_COUNTRY:
        frame = runner.table(in_country_frequencies(runner.con, column), f"tf_{column}")
        linker.table_management.register_term_frequency_lookup(frame, column)


def backend(con: duckdb.DuckDBPyConnection, engine: str) -> Backend:
    if engine == "duckdb":
        return DuckDBBackend(con)
    if engine == "spark":
        return SparkBackend(con)
    raise LinkageConfigError(f"engine {engine!r} is not duckdb or spark")


def _spark_schema(table: Any) -> Any:
    """Spark cannot infer list columns from Python values: give it the Arrow table's types."""
    import pyarrow as pa
    from pyspark.sql.types import (
        ArrayType,
        DoubleType,
        LongType,
        StringType,
        StructField,
        StructType,
    )

    fields = []
    for field in table.schema:
        # Numbers stay numbers: a term frequency as text breaks Splink's greatest(tf_l, tf_r, 0.0).
        kind: Any = StringType()
        if pa.types.is_list(field.type):
            kind = ArrayType(StringType())
        elif pa.types.is_floating(field.type) or pa.types.is_decimal(field.type):
            kind = DoubleType()
        elif pa.types.is_integer(field.type):
            kind = LongType()
        fields.append(StructField(field.name, kind, True))
    return StructType(fields)
