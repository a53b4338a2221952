"""Reads a gecko_data.db through SQLAlchemy models written from fixtures/legacy/schema.sql (the Python
collector's tables as its models declare them) and prints what the ORM returns, as JSON, on stdout.

usage: legacy_models_read.py DB_PATH

Decimals are printed with format(d, 'f') (no exponent), datetimes as 'YYYY-MM-DD HH:MM:SS.ffffff'. The
*_exact columns are not part of the Python models; they are read with plain SQL beside them.
"""
import json
import sys

from sqlalchemy import (BigInteger, Boolean, Column, DateTime, ForeignKey, Integer, Numeric, String, Text,
                        create_engine, event, func, text)
from sqlalchemy.orm import declarative_base, sessionmaker

Base = declarative_base()


class Dex(Base):
    __tablename__ = 'dexes'
    id = Column(String(50), primary_key=True)
    name = Column(String(100), nullable=False)
    network = Column(String(20), nullable=False)
    last_updated = Column(DateTime)
    metadata_json = Column(Text)


class Pool(Base):
    __tablename__ = 'pools'
    id = Column(String(100), primary_key=True)
    address = Column(String(100), nullable=False)
    name = Column(String(200))
    dex_id = Column(String(50), ForeignKey('dexes.id'), nullable=False)
    base_token_id = Column(String(100))
    quote_token_id = Column(String(100))
    reserve_usd = Column(Numeric(20, 8))
    created_at = Column(DateTime)
    last_updated = Column(DateTime)
    activity_score = Column(Numeric(5, 2))
    discovery_source = Column(String(20))
    collection_priority = Column(String(10))
    auto_discovered_at = Column(DateTime)
    last_activity_check = Column(DateTime)
    metadata_json = Column(Text)


class Trade(Base):
    __tablename__ = 'trades'
    id = Column(String(200), primary_key=True)
    pool_id = Column(String(100), ForeignKey('pools.id'), nullable=False)
    block_number = Column(BigInteger)
    tx_hash = Column(String(100))
    tx_from_address = Column(String(100))
    from_token_amount = Column(Numeric(30, 18))
    to_token_amount = Column(Numeric(30, 18))
    price_usd = Column(Numeric(30, 18))
    volume_usd = Column(Numeric(20, 8))
    side = Column(String(10))
    block_timestamp = Column(DateTime)
    created_at = Column(DateTime)


class Watchlist(Base):
    __tablename__ = 'watchlist'
    id = Column(Integer, primary_key=True)
    pool_id = Column(String(200), ForeignKey('pools.id'), nullable=False, unique=True)
    token_symbol = Column(String(50))
    token_name = Column(String(200))
    network_address = Column(String(100))
    is_active = Column(Boolean, nullable=False)
    created_at = Column(DateTime)
    updated_at = Column(DateTime)
    metadata_json = Column(Text)


def plain(value):
    if value is None or isinstance(value, (str, int, bool)):
        return value
    if hasattr(value, 'isoformat'):
        return value.isoformat(sep=' ', timespec='microseconds')
    return format(value, 'f')  # Decimal


def row_dict(obj):
    return {c.name: plain(getattr(obj, c.name)) for c in obj.__table__.columns}


def main(path):
    engine = create_engine(f'sqlite:///{path}')

    @event.listens_for(engine, 'connect')
    def _fk(dbapi_connection, _record):  # as the Python collector did on every connection
        dbapi_connection.execute('PRAGMA foreign_keys=ON')

    session = sessionmaker(bind=engine)()
    exact = {
        r[0]: {'from_token_amount': r[1], 'to_token_amount': r[2], 'price_usd': r[3], 'volume_usd': r[4]}
        for r in session.execute(text(
            'SELECT id, from_token_amount_exact, to_token_amount_exact, price_usd_exact, volume_usd_exact FROM trades'))
    }
    out = {
        'sqlalchemy': __import__('sqlalchemy').__version__,
        'trades': [row_dict(t) for t in session.query(Trade).order_by(Trade.id).all()],
        'pools': [row_dict(p) for p in session.query(Pool).order_by(Pool.id).all()],
        'dexes': [row_dict(d) for d in session.query(Dex).order_by(Dex.id).all()],
        'watchlist': [row_dict(w) for w in session.query(Watchlist).all()],
        'exact': exact,
        'max_price_usd': plain(session.query(func.max(Trade.price_usd)).scalar()),
        'count_price_above_100': session.query(Trade).filter(Trade.price_usd > 100).count(),
    }
    session.close()
    json.dump(out, sys.stdout)


if __name__ == '__main__':
    main(sys.argv[1])
