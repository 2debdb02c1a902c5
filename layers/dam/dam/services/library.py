"""Library use cases: favorites, folders, collections, brands, usage links, and the gallery lists they feed."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

from dam.domain.assets import Asset, utcnow
from dam.domain.errors import Conflict, InvalidInput, NotFound
from dam.domain.identity import Caller
from dam.domain.library import (
    CLEANUP_CHUNK,
    INLINE_CLEANUP_LIMIT,
    MAX_FOLDER_DEPTH,
    Brand,
    Cleanup,
    CleanupKind,
    CleanupStarted,
    Collection,
    CollectionKind,
    Folder,
    LinkKind,
    UsageKind,
    UsageLink,
    collection_visible_to,
    folder_visible_to,
    is_run_collection_id,
    new_library_id,
    usage_id,
)
from dam.domain.permissions import own_client, require_own
from dam.domain.queries import AssetQuery, Page, decode_position, encode_position
from dam.services.assets import KEEP, AssetService, Keep
from dam.services.ports import AssetStore, CleanupQueue, LibraryStore

# Links a filtered list reads a page: one BatchGetItem's worth of assets (its most is 100 keys).
_LINKS_A_READ = 100
_SAVE_ATTEMPTS = 3


CLIENT_SCAN_PAGE = 100  # collections read a page at a time when listing clients


@dataclass(frozen=True)
class FolderChanges:
    name: str | None = None
    parent_id: str | Keep | None = KEEP  # None: to the top level


def scoped_query(library: LibraryStore, caller: Caller, query: AssetQuery) -> AssetQuery | None:
    """The query as this caller may ask it: their client scoping, and an automatic collection as the generation
    run it collects (None: a collection the caller cannot see, so nothing). The gallery and search share it."""
    scoped = replace(query, visible_clients=caller.client_ids if caller.is_external else None)
    if scoped.collection_id and is_run_collection_id(scoped.collection_id):
        collection = library.get_collection(caller.workspace_id, scoped.collection_id)
        if collection is None or collection.generation_run_id is None or not collection_visible_to(caller, collection):
            return None
        scoped = replace(scoped, collection_id=None, generation_run_id=collection.generation_run_id)
    return scoped


class LibraryService:
    def __init__(
        self, assets: AssetService, store: AssetStore, library: LibraryStore, cleanups: CleanupQueue | None = None
    ) -> None:
        self._assets = assets
        self._store = store
        self._library = library
        self._cleanup = CleanupService(store, library, cleanups)

    # --- the gallery -------------------------------------------------------------------------------

    def browse(self, caller: Caller, query: AssetQuery, limit: int, cursor: str | None) -> tuple[Page[Asset], set[str]]:
        """A page of assets and which of them the caller favorited.

        Lists of links (favorites, a collection, a brand) read the links newest first and fetch the
        assets with one BatchGetItem; every other list is one Query on the narrowest assets index.
        """
        resolved = scoped_query(self._library, caller, query)
        if resolved is None:
            return Page(items=[]), set()
        scoped = resolved
        if scoped.favorites_of:
            page = self._linked(caller, LinkKind.FAVORITE, scoped.favorites_of, scoped, limit, cursor)
            return page, {a.asset_id for a in page.items} if scoped.favorites_of == caller.user_id else set()
        if scoped.collection_id:
            page = self._linked(caller, LinkKind.COLLECTION, scoped.collection_id, scoped, limit, cursor)
        elif scoped.brand_id:
            page = self._linked(caller, LinkKind.BRAND, scoped.brand_id, scoped, limit, cursor)
        else:
            page = self._assets.list(caller, scoped, limit, cursor)
        return page, self.favorite_ids(caller, page.items)

    def favorite_ids(self, caller: Caller, assets: Sequence[Asset]) -> set[str]:
        """Which of these the caller favorited: one batch read for the whole page."""
        return self._library.favorite_ids(caller.workspace_id, caller.user_id, assets)

    def _linked(
        self, caller: Caller, kind: LinkKind, owner_id: str, query: AssetQuery, limit: int, cursor: str | None
    ) -> Page[Asset]:
        # The link itself is the filter of its kind; whatever else was asked is checked on each asset.
        rest = replace(
            query,
            favorites_of=None,
            collection_id=None if kind is LinkKind.COLLECTION else query.collection_id,
            brand_id=None if kind is LinkKind.BRAND else query.brand_id,
        )
        after = decode_position(cursor) if cursor else None
        # One Query of links and one BatchGetItem of their assets a page (the read budget). With more
        # filters than the link's own, a whole batch (100, BatchGetItem's most) is read to fill it.
        narrowing = replace(rest, created_from=None, created_to=None, archived=False) != AssetQuery()
        wanted = _LINKS_A_READ if narrowing else limit + 1
        keys = self._library.linked_positions(
            caller.workspace_id,
            kind,
            owner_id,
            created_from=query.created_from,
            created_to=query.created_to,
            after=after,
            limit=wanted,
        )
        fetched = keys if narrowing else keys[:limit]
        found = self._store.get_many([key.rpartition("#")[2] for key in fetched])
        items: list[Asset] = []
        walked = 0
        for key in fetched:
            after, walked = key, walked + 1
            asset = found.get(key.rpartition("#")[2])
            # A link whose asset is gone (a delete in flight) is skipped, never shown.
            if asset is not None and asset.workspace_id == caller.workspace_id and rest.matches(asset):
                items.append(asset)
                if len(items) == limit:
                    break
        if walked == len(keys) and len(keys) < wanted:
            return Page(items=items)  # every link was read
        return Page(items=items, next_cursor=encode_position(after) if after else None, partial=len(items) < limit)

    # --- favorites ---------------------------------------------------------------------------------

    def favorite(self, caller: Caller, asset_id: str) -> None:
        asset = self._assets.get(caller, asset_id)
        self._library.add_favorite(caller.workspace_id, caller.user_id, asset)

    def unfavorite(self, caller: Caller, asset_id: str) -> None:
        asset = self._assets.get(caller, asset_id)
        self._library.remove_favorite(caller.workspace_id, caller.user_id, asset)

    def is_favorite(self, caller: Caller, asset: Asset) -> bool:
        return asset.asset_id in self.favorite_ids(caller, [asset])

    # --- folders -----------------------------------------------------------------------------------

    def folder(self, caller: Caller, folder_id: str) -> Folder:
        folder = self._library.get_folder(caller.workspace_id, folder_id)
        if folder is None or not folder_visible_to(caller, folder):
            raise NotFound(f"folder {folder_id} not found")
        return folder

    def folders(self, caller: Caller, parent_id: str | Keep | None = KEEP) -> list[Folder]:
        """Every folder the caller may see, by name; or only the children of `parent_id` (None: top level)."""
        if isinstance(parent_id, Keep):
            found = self._library.list_folders(caller.workspace_id)
        else:
            if parent_id is not None:
                self.folder(caller, parent_id)
            found = self._library.child_folders(caller.workspace_id, parent_id)
        return [f for f in found if folder_visible_to(caller, f)]

    def create_folder(
        self, caller: Caller, name: str, parent_id: str | None = None, client_id: str | None = None
    ) -> Folder:
        parent = self._parent(caller, parent_id) if parent_id else None
        if parent is not None:
            self._refuse_too_deep(caller, parent, levels=1)
        client = self._folder_client(caller, client_id, parent)
        now = utcnow()
        folder = Folder(
            folder_id=new_library_id(),
            workspace_id=caller.workspace_id,
            name=name,
            parent_id=parent.folder_id if parent else None,
            client_id=client,
            created_by=caller.user_id,
            created_at=now,
            updated_at=now,
        )
        return self._library.create_folder(folder)

    def update_folder(
        self, caller: Caller, folder_id: str, changes: FolderChanges, expected_version: int | None = None
    ) -> Folder:
        """Rename and/or move. A move under itself or under one of its own sub-folders is refused; the
        write is conditional on the folder's version and, for a move, on the versions of every folder
        above its new place, so two moves at once can't close a cycle (one of them gets a Conflict)."""
        folder = self.folder(caller, folder_id)
        require_own(caller, folder.client_id, "this folder")
        _check_version("folder", folder.version, expected_version)
        update: dict[str, object] = {"updated_at": utcnow()}
        ancestors: list[Folder] = []
        if changes.name is not None:
            update["name"] = changes.name
        if not isinstance(changes.parent_id, Keep) and changes.parent_id != folder.parent_id:
            if changes.parent_id is not None:
                parent = self._parent(caller, changes.parent_id)
                ancestors = self._refuse_cycle(caller, folder, parent)
                self._refuse_too_deep(caller, parent, levels=self._levels(caller.workspace_id, folder))
                if parent.client_id is not None and folder.client_id not in (None, parent.client_id):
                    raise InvalidInput("the new parent belongs to another client", field="parent_id")
            update["parent_id"] = changes.parent_id
        return self._library.save_folder(folder.model_copy(update=update), unchanged=ancestors)

    def delete_folder(self, caller: Caller, folder_id: str) -> CleanupStarted | None:
        """Delete a folder, never an asset: its assets become unassigned and its sub-folders move up to
        its parent (or to the top level), keeping their own contents. The folder leaves every list at
        once; more than INLINE_CLEANUP_LIMIT assets are unassigned by the library worker (the answer
        says how many). A retry by staff finishes the job (and answers NotFound, like any other route
        for what is gone)."""
        folder = self._library.get_folder(caller.workspace_id, folder_id)
        if folder is None and not caller.is_external:
            self._finish_folder_delete(caller.workspace_id, folder_id, parent_id=None)
        if folder is None or not folder_visible_to(caller, folder):
            raise NotFound(f"folder {folder_id} not found")
        require_own(caller, folder.client_id, "this folder")
        return self._finish_folder_delete(caller.workspace_id, folder_id, folder.parent_id)

    def _finish_folder_delete(self, workspace_id: str, folder_id: str, parent_id: str | None) -> CleanupStarted | None:
        # The folder goes first, so nothing can be placed in it while it is being emptied.
        self._library.delete_folder(workspace_id, folder_id)
        for child in self._library.child_folders(workspace_id, folder_id):
            self._move_up(child, folder_id, parent_id)
        return self._cleanup.start(Cleanup(kind=CleanupKind.FOLDER, workspace_id=workspace_id, owner_id=folder_id))

    def _move_up(self, child: Folder, old_parent_id: str, new_parent_id: str | None) -> None:
        """Re-parent a sub-folder of a deleted folder; its index copy may be stale, so a conflict re-reads."""
        current: Folder | None = child
        for _attempt in range(_SAVE_ATTEMPTS):
            if current is None or current.parent_id != old_parent_id:
                return  # gone, or moved elsewhere meanwhile
            try:
                moved = current.model_copy(update={"parent_id": new_parent_id, "updated_at": utcnow()})
                self._library.save_folder(moved)
                return
            except Conflict:
                current = self._library.get_folder(child.workspace_id, child.folder_id)
        raise Conflict(f"folder {child.folder_id} kept changing while its parent was deleted")

    def _parent(self, caller: Caller, parent_id: str) -> Folder:
        parent = self._library.get_folder(caller.workspace_id, parent_id)
        if parent is None or not folder_visible_to(caller, parent):
            raise InvalidInput(f"folder {parent_id} not found", field="parent_id")
        return parent

    def _refuse_cycle(self, caller: Caller, folder: Folder, new_parent: Folder) -> list[Folder]:
        """Walk up from the new parent: meeting the folder itself would make a loop. Returns the folders
        walked (the new parent and its ancestors), whose versions the move is then conditional on."""
        node: Folder | None = new_parent
        walked: list[Folder] = []
        for _depth in range(MAX_FOLDER_DEPTH):
            if node is None:
                return walked
            walked.append(node)
            if node.folder_id == folder.folder_id:
                raise InvalidInput("a folder cannot move into itself or its own sub-folders", field="parent_id")
            node = self._library.get_folder(caller.workspace_id, node.parent_id) if node.parent_id else None
        raise InvalidInput(f"folders nest at most {MAX_FOLDER_DEPTH} deep", field="parent_id")

    def _refuse_too_deep(self, caller: Caller, parent: Folder, *, levels: int) -> None:
        """Putting `levels` of folders under `parent` must keep the deepest within MAX_FOLDER_DEPTH."""
        depth, node = 1, parent
        while node.parent_id and depth + levels <= MAX_FOLDER_DEPTH:
            above = self._library.get_folder(caller.workspace_id, node.parent_id)
            if above is None:
                break
            depth, node = depth + 1, above
        if depth + levels > MAX_FOLDER_DEPTH:
            raise InvalidInput(f"folders nest at most {MAX_FOLDER_DEPTH} deep", field="parent_id")

    def _levels(self, workspace_id: str, folder: Folder) -> int:
        """How many levels a folder and its sub-folders span (1 for a folder without sub-folders)."""
        levels, generation = 0, [folder]
        while generation and levels <= MAX_FOLDER_DEPTH:
            levels += 1
            generation = [c for f in generation for c in self._library.child_folders(workspace_id, f.folder_id)]
        return levels

    @staticmethod
    def _folder_client(caller: Caller, requested: str | None, parent: Folder | None) -> str | None:
        """A sub-folder of a client's folder is that client's; external users make folders for their own clients."""
        client = requested or (parent.client_id if parent else None)
        if parent is not None and parent.client_id is not None and client != parent.client_id:
            raise InvalidInput("the parent folder belongs to another client", field="client_id")
        return own_client(caller, client)

    # --- collections -------------------------------------------------------------------------------

    def collection(self, caller: Caller, collection_id: str) -> Collection:
        found = self._library.get_collection(caller.workspace_id, collection_id)
        if found is None or not collection_visible_to(caller, found):
            raise NotFound(f"collection {collection_id} not found")
        return found

    def collections(
        self, caller: Caller, kind: CollectionKind | None, limit: int, cursor: str | None
    ) -> Page[Collection]:
        page = self._library.list_collections(caller.workspace_id, kind, limit, cursor)
        # Another client's collections are left out (a page may come out shorter; its cursor goes on).
        return replace(page, items=[c for c in page.items if collection_visible_to(caller, c)])

    def clients(self, caller: Caller, elsewhere: Callable[[], Iterable[str | None]] = tuple) -> list[str]:
        """The clients the caller may file things under. External users: their own, in their claim's order.
        Staff (any role, as `own_client` lets them choose any): every client the workspace's folders and
        collections name, and those `elsewhere` names (projects), sorted. There is no client registry:
        a client named only on assets is not found here (the upload form still takes a typed id)."""
        if caller.is_external:
            return list(caller.client_ids)
        named: set[str | None] = {f.client_id for f in self._library.list_folders(caller.workspace_id)}
        cursor: str | None = None
        while True:
            page = self._library.list_collections(caller.workspace_id, None, CLIENT_SCAN_PAGE, cursor)
            named.update(c.client_id for c in page.items)
            cursor = page.next_cursor
            if cursor is None:
                break
        named.update(elsewhere())
        return sorted(client for client in named if client)

    def create_collection(self, caller: Caller, name: str, client_id: str | None = None) -> Collection:
        now = utcnow()
        collection = Collection(
            collection_id=new_library_id(),
            workspace_id=caller.workspace_id,
            name=name,
            client_id=own_client(caller, client_id),
            created_by=caller.user_id,
            created_at=now,
            updated_at=now,
        )
        return self._library.create_collection(collection)

    def rename_collection(
        self, caller: Caller, collection_id: str, name: str, expected_version: int | None = None
    ) -> Collection:
        collection = self._to_change(caller, collection_id)
        _check_version("collection", collection.version, expected_version)
        return self._library.save_collection(collection.model_copy(update={"name": name, "updated_at": utcnow()}))

    def delete_collection(self, caller: Caller, collection_id: str) -> CleanupStarted | None:
        """Delete a manual collection and its memberships, never its assets. The collection leaves every
        list at once; more than INLINE_CLEANUP_LIMIT memberships are removed by the library worker. What
        is gone (or hidden) is NotFound; a staff retry still finishes removing the memberships of an
        interrupted delete."""
        cleanup = Cleanup(kind=CleanupKind.COLLECTION, workspace_id=caller.workspace_id, owner_id=collection_id)
        found = self._library.get_collection(caller.workspace_id, collection_id)
        if found is None and not caller.is_external:
            self._cleanup.start(cleanup)
        found = self._to_change(caller, collection_id)
        if found.kind is not CollectionKind.MANUAL:
            raise Conflict("a generation run's collection follows its assets; it goes when the last one does")
        self._library.delete_collection(caller.workspace_id, collection_id)
        return self._cleanup.start(cleanup)

    def add_to_collection(self, caller: Caller, collection_id: str, asset_id: str) -> None:
        collection, asset = self._membership(caller, collection_id, asset_id)
        if collection_id not in asset.collection_ids:
            self._library.add_member(collection, asset, caller.user_id)

    def remove_from_collection(self, caller: Caller, collection_id: str, asset_id: str) -> None:
        collection, asset = self._membership(caller, collection_id, asset_id)
        if collection_id in asset.collection_ids:
            self._library.remove_member(collection, asset)

    def _membership(self, caller: Caller, collection_id: str, asset_id: str) -> tuple[Collection, Asset]:
        """Both must be visible (else NotFound) before anything is refused about the collection."""
        collection = self.collection(caller, collection_id)
        asset = self._assets.get(caller, asset_id)
        return self._manual(caller, collection), asset

    def _to_change(self, caller: Caller, collection_id: str) -> Collection:
        collection = self.collection(caller, collection_id)
        require_own(caller, collection.client_id, "this collection")
        return collection

    def _manual(self, caller: Caller, collection: Collection) -> Collection:
        require_own(caller, collection.client_id, "this collection")
        if collection.kind is not CollectionKind.MANUAL:
            raise Conflict("a generation run's collection holds the run's assets; add them to a manual one")
        return collection

    # --- brands ------------------------------------------------------------------------------------

    def brand(self, caller: Caller, brand_id: str) -> Brand:
        found = self._library.get_brand(caller.workspace_id, brand_id)
        if found is None:
            raise NotFound(f"brand {brand_id} not found")
        return found

    def brands(self, caller: Caller) -> list[Brand]:
        return self._library.list_brands(caller.workspace_id)

    def create_brand(self, caller: Caller, name: str, color: str) -> Brand:
        """Names are unique in a workspace ignoring case: the store claims the name with the brand."""
        require_own(caller, None, "a brand")
        now = utcnow()
        brand = Brand(
            brand_id=new_library_id(),
            workspace_id=caller.workspace_id,
            name=name,
            color=color.lower(),
            created_by=caller.user_id,
            created_at=now,
            updated_at=now,
        )
        return self._library.create_brand(brand)

    def update_brand(
        self,
        caller: Caller,
        brand_id: str,
        name: str | None,
        color: str | None,
        expected_version: int | None = None,
    ) -> Brand:
        brand = self.brand(caller, brand_id)
        require_own(caller, None, "a brand")
        _check_version("brand", brand.version, expected_version)
        update: dict[str, object] = {"updated_at": utcnow()}
        if name is not None:
            update["name"] = name
        if color is not None:
            update["color"] = color.lower()
        return self._library.save_brand(brand.model_copy(update=update), previous_name=brand.name)

    def delete_brand(self, caller: Caller, brand_id: str) -> CleanupStarted | None:
        """Delete a brand and every link to it (each asset's `brand_ids` loses it). The brand leaves every
        list at once; more than INLINE_CLEANUP_LIMIT links are removed by the library worker. What is gone
        is NotFound; a staff retry still finishes removing the links of an interrupted delete."""
        cleanup = Cleanup(kind=CleanupKind.BRAND, workspace_id=caller.workspace_id, owner_id=brand_id)
        if self._library.get_brand(caller.workspace_id, brand_id) is None and not caller.is_external:
            self._cleanup.start(cleanup)
        self.brand(caller, brand_id)
        require_own(caller, None, "a brand")
        self._library.delete_brand(caller.workspace_id, brand_id)
        return self._cleanup.start(cleanup)

    def tag_brand(self, caller: Caller, asset_id: str, brand_id: str) -> None:
        brand = self.brand(caller, brand_id)
        asset = self._assets.get_to_change(caller, asset_id)
        if brand_id not in asset.brand_ids:
            self._library.link_brand(brand, asset, caller.user_id)

    def untag_brand(self, caller: Caller, asset_id: str, brand_id: str) -> None:
        brand = self.brand(caller, brand_id)
        asset = self._assets.get_to_change(caller, asset_id)
        if brand_id in asset.brand_ids:
            self._library.unlink_brand(brand, asset)

    # --- usage links -------------------------------------------------------------------------------

    def add_usage(
        self, caller: Caller, asset_id: str, kind: UsageKind, ref: str, label: str | None
    ) -> tuple[UsageLink, bool]:
        """Record that a project or workflow uses the asset; again with the same (kind, ref) relabels it.
        Returns the link and whether it is new."""
        asset = self._assets.get_to_change(caller, asset_id)
        link_id = usage_id(kind, ref)
        existing = self._library.get_usage(caller.workspace_id, asset.asset_id, link_id)
        usage = UsageLink(
            usage_id=link_id,
            asset_id=asset.asset_id,
            kind=kind,
            ref=ref,
            label=label,
            created_by=existing.created_by if existing else caller.user_id,
            created_at=existing.created_at if existing else utcnow(),
        )
        self._library.save_usage(caller.workspace_id, usage)
        return usage, existing is None

    def usages(self, caller: Caller, asset_id: str) -> list[UsageLink]:
        return self.usages_of(self._assets.get(caller, asset_id))

    def usages_of(self, asset: Asset) -> list[UsageLink]:
        """The usage links of an asset the caller has already been shown."""
        return self._library.list_usages(asset.workspace_id, asset.asset_id)

    def remove_usage(self, caller: Caller, asset_id: str, link_id: str) -> None:
        asset = self._assets.get_to_change(caller, asset_id)
        self._library.delete_usage(caller.workspace_id, asset.asset_id, link_id)


class CleanupService:
    """A deleted folder's, brand's or collection's assets: updated in the request when they are few,
    else by the library worker from the cleanup queue, a chunk a message."""

    def __init__(self, store: AssetStore, library: LibraryStore, queue: CleanupQueue | None) -> None:
        self._store = store
        self._library = library
        self._cleanups = queue  # None: every delete updates its assets inside the request

    def start(self, cleanup: Cleanup) -> CleanupStarted | None:
        """Update the owner's assets now if they are few (None), else queue the work and say how much."""
        pending = self._pending(cleanup)
        if self._cleanups is None or pending <= INLINE_CLEANUP_LIMIT:
            while self.clean_up(cleanup):
                pass
            return None
        self._cleanups.send(cleanup)
        return CleanupStarted(assets_to_update=pending)

    def _pending(self, cleanup: Cleanup) -> int:
        if cleanup.kind is CleanupKind.FOLDER:
            return self._store.count_in_folder(cleanup.workspace_id, cleanup.owner_id)
        return self._library.count_links(cleanup.workspace_id, _link_kind(cleanup.kind), cleanup.owner_id)

    def clean_up(self, cleanup: Cleanup, limit: int = CLEANUP_CHUNK) -> bool:
        """Update up to `limit` of the assets that still name a deleted owner; True if some remain.
        Safe to repeat or to run twice at once: each run reads what is still left."""
        if cleanup.kind is CleanupKind.FOLDER:
            return self._unassign_some(cleanup.workspace_id, cleanup.owner_id, limit)
        return self._library.remove_links(cleanup.workspace_id, _link_kind(cleanup.kind), cleanup.owner_id, limit)

    def continue_cleanup(self, cleanup: Cleanup) -> bool:
        """The library worker's step: one chunk, then the rest queued as a new message. True if queued.
        A crash before the next message is sent redelivers this one, which finds what is left."""
        more = self.clean_up(cleanup)
        if more:
            if self._cleanups is None:
                raise RuntimeError("the library worker needs its queue to go on")
            self._cleanups.send(cleanup)
        return more

    def _unassign_some(self, workspace_id: str, folder_id: str, limit: int) -> bool:
        """Unassign up to `limit` of a folder's assets, live ones first; True if some remain."""
        for archived in (False, True):
            page = self._store.list(workspace_id, AssetQuery(folder_id=folder_id, archived=archived), limit, None)
            for asset in page.items:
                self._unassign(asset, folder_id)
            limit -= len(page.items)
            if page.next_cursor is not None or limit <= 0:
                return True
        return False

    def _unassign(self, asset: Asset, folder_id: str) -> None:
        current: Asset | None = asset
        for _attempt in range(_SAVE_ATTEMPTS):
            if current is None or current.folder_id != folder_id:
                return
            try:
                self._store.save(current.model_copy(update={"folder_id": None, "updated_at": utcnow()}))
                return
            except Conflict:
                current = self._store.get(asset.asset_id)
        raise Conflict(f"asset {asset.asset_id} kept changing while leaving folder {folder_id}")


def _link_kind(kind: CleanupKind) -> LinkKind:
    return LinkKind.BRAND if kind is CleanupKind.BRAND else LinkKind.COLLECTION


def _check_version(label: str, current: int, expected: int | None) -> None:
    """If-Match: an edit made from a stale read is refused."""
    if expected is not None and current != expected:
        raise Conflict(f"{label} is at version {current}, not {expected}")
