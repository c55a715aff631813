"""The one typed settings object (env prefix SUPPORTBOT_, nested delimiter __)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from retrieval.config import (
    ChunkingConfig,
    EmbeddingConfig,
    KeywordConfig,
    SearchConfig,
    VectorConfig,
)


class Settings(BaseSettings):
    """Every setting of supportbot; created only in entry points (CLI, app factory, evals)."""

    model_config = SettingsConfigDict(
        env_prefix="SUPPORTBOT_",
        env_nested_delimiter="__",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
    )

    mode: Literal["dev", "prod"] = Field(default="dev", description="prod refuses dev secrets.")
    data_dir: Path = Field(default=Path("data"), description="Indexes and the SQLite database.")
    kb_dir: Path = Field(default=Path("kb_content"), description="Help-center sources to ingest.")
    embedding: EmbeddingConfig = EmbeddingConfig()
    chunking: ChunkingConfig = ChunkingConfig()
    vector: VectorConfig = VectorConfig()
    keyword: KeywordConfig = KeywordConfig()
    search: SearchConfig = SearchConfig()

    @property
    def index_dir(self) -> Path:
        """Folder of the local vector and keyword indexes."""
        return self.data_dir / "index"


def env_names(model: type[BaseModel] = Settings, prefix: str = "SUPPORTBOT_") -> list[str]:
    """Every environment variable that sets a leaf field, e.g. SUPPORTBOT_VECTOR__HOST."""
    names: list[str] = []
    for name, field in model.model_fields.items():
        annotation = field.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(env_names(annotation, f"{prefix}{name.upper()}__"))
        else:
            names.append(f"{prefix}{name.upper()}")
    return names
