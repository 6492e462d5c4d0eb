//! `drsync::git` against real repositories in temp folders: commits only when the export changed, never
//! stages anything else, pushes without force, survives concurrent exports, and reads commits back.
//! Hermetic: repositories are made with git2 with a fixed initial branch, every commit has a fixed author and
//! time, ignore rules from the user's global config are switched off per repository, and the `git` CLI (used
//! only to cross-check) runs with HOME in a temp folder and no global or system config.

use drsync::git::{self, Author, Error, ExportRepo, GitSettings, PushAuth, Summary, Timestamp};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

const T0: i64 = 1_700_000_000;

fn at(seconds: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds,
        offset_minutes: 0,
    })
}

fn bot() -> Author {
    Author::parse("drsync test <drsync-test@example.com>").unwrap()
}

fn sig(seconds: i64) -> git2::Signature<'static> {
    git2::Signature::new(
        "Someone",
        "someone@example.com",
        &git2::Time::new(seconds, 0),
    )
    .unwrap()
}

/// A repository with `main` as its (unborn) branch and no ignore rules from outside it.
fn init(dir: &Path) -> git2::Repository {
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main");
    let repo = git2::Repository::init_opts(dir, &opts).unwrap();
    hermetic(&repo);
    repo
}

fn hermetic(repo: &git2::Repository) {
    let mut cfg = repo.config().unwrap();
    cfg.set_str("core.excludesFile", "/dev/null").unwrap();
    cfg.set_bool("core.fileMode", true).unwrap();
}

fn init_bare(dir: &Path) -> git2::Repository {
    let mut opts = git2::RepositoryInitOptions::new();
    opts.initial_head("main").bare(true);
    git2::Repository::init_opts(dir, &opts).unwrap()
}

fn write(path: &Path, content: &str) {
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap()
}

/// Stage `paths` (relative) and commit them on HEAD, like a person would.
fn commit_by_hand(
    repo: &git2::Repository,
    paths: &[&str],
    message: &str,
    seconds: i64,
) -> git2::Oid {
    let mut index = repo.index().unwrap();
    for p in paths {
        if repo.workdir().unwrap().join(p).exists() {
            index.add_path(Path::new(p)).unwrap();
        } else {
            index.remove_path(Path::new(p)).unwrap();
        }
    }
    index.write().unwrap();
    let tree = repo.find_tree(index.write_tree().unwrap()).unwrap();
    let parent = repo.head().ok().map(|h| h.peel_to_commit().unwrap());
    let parents: Vec<&git2::Commit<'_>> = parent.iter().collect();
    let s = sig(seconds);
    repo.commit(Some("HEAD"), &s, &s, message, &tree, &parents)
        .unwrap()
}

/// Write the export's files into `dir`, replacing what was there (like `export::write` does).
fn export_files(dir: &Path, files: &[(&str, &str)]) {
    if dir.exists() {
        std::fs::remove_dir_all(dir).unwrap();
    }
    for (name, content) in files {
        write(&dir.join(name), content);
    }
}

/// The files an export commits.
const FILES: &[&str] = drsync::export::COMMITTED_FILES;

fn commit(repo: &ExportRepo, message: &str, seconds: i64) -> Result<Option<git::Committed>, Error> {
    commit_files(repo, FILES, message, seconds)
}

fn commit_files(
    repo: &ExportRepo,
    files: &[&str],
    message: &str,
    seconds: i64,
) -> Result<Option<git::Committed>, Error> {
    let lock = repo.lock(Duration::from_secs(30))?;
    repo.commit(&lock, files, message, &bot(), at(seconds))
}

fn settings() -> GitSettings {
    GitSettings::default()
}

fn commits_on(repo: &git2::Repository, refname: &str) -> Vec<git2::Oid> {
    let mut walk = repo.revwalk().unwrap();
    walk.push_ref(refname).unwrap();
    walk.map(Result::unwrap).collect()
}

fn tree_files(repo: &git2::Repository, rev: &str) -> BTreeMap<String, String> {
    let tree = repo.revparse_single(rev).unwrap().peel_to_tree().unwrap();
    let mut out = BTreeMap::new();
    tree.walk(git2::TreeWalkMode::PreOrder, |dir, e| {
        if e.kind() == Some(git2::ObjectType::Blob) {
            let blob = repo.find_blob(e.id()).unwrap();
            out.insert(
                format!("{dir}{}", e.name().unwrap()),
                String::from_utf8_lossy(blob.content()).into_owned(),
            );
        }
        git2::TreeWalkResult::Ok
    })
    .unwrap();
    out
}

/// The `git` CLI in `dir` with no user or system config.
fn git_cli(dir: &Path, args: &[&str]) -> String {
    let home = tempfile::tempdir().unwrap();
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home.path())
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env_remove("GIT_DIR")
        .env_remove("GIT_WORK_TREE")
        .env_remove("GIT_INDEX_FILE")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[test]
fn first_export_in_a_fresh_repository_is_the_first_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = init(tmp.path());
    let dir = tmp.path().join("dr");
    export_files(&dir, &[("jobs.tf", "job\n"), ("versions.tf", "v\n")]);

    let repo = git::open(&dir, &settings()).unwrap();
    assert_eq!(repo.branch(), "main");
    assert_eq!(repo.prefix(), "dr");
    assert!(!repo.branch_exists());
    let c = commit(&repo, "drsync: first", T0)
        .unwrap()
        .expect("a commit");
    assert_eq!(c.parent, None);
    assert_eq!(c.branch, "main");

    let head = raw.head().unwrap().peel_to_commit().unwrap();
    assert_eq!(head.id(), c.id);
    assert_eq!(head.author().name(), Ok("drsync test"));
    assert_eq!(head.author().when().seconds(), T0);
    assert_eq!(head.committer().email(), Ok("drsync-test@example.com"));
    assert_eq!(
        tree_files(&raw, "HEAD"),
        BTreeMap::from([
            ("dr/jobs.tf".to_string(), "job\n".to_string()),
            ("dr/versions.tf".to_string(), "v\n".to_string()),
        ])
    );
    // The index was kept in step: nothing to commit for the folder.
    assert_eq!(git_cli(tmp.path(), &["status", "--porcelain"]), "");
    assert!(git_cli(tmp.path(), &["log", "-1", "--format=%s"]).starts_with("drsync: first"));
}

#[test]
fn an_unchanged_export_commits_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = init(tmp.path());
    let dir = tmp.path().join("dr");
    export_files(&dir, &[("jobs.tf", "job\n")]);
    let repo = git::open(&dir, &settings()).unwrap();
    let first = commit(&repo, "one", T0).unwrap().unwrap();
    // Rewritten with the same content (new inodes and times): still no change.
    export_files(&dir, &[("jobs.tf", "job\n")]);
    assert_eq!(commit(&repo, "two", T0 + 60).unwrap(), None);
    assert_eq!(commits_on(&raw, "refs/heads/main"), vec![first.id]);
    assert_eq!(git_cli(tmp.path(), &["status", "--porcelain"]), "");
}

#[test]
fn a_change_is_exactly_one_commit_listing_exactly_the_changed_resources() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = init(tmp.path());
    let dir = tmp.path().join("dr");
    export_files(
        &dir,
        &[
            ("jobs.tf", "a b e\n"),
            ("clusters.tf", "c\n"),
            ("versions.tf", "v\n"),
        ],
    );
    let repo = git::open(&dir, &settings()).unwrap();
    let first = commit(&repo, "one", T0).unwrap().unwrap();

    export_files(
        &dir,
        &[
            ("jobs.tf", "a' b d\n"),
            ("clusters.tf", "c\n"),
            ("versions.tf", "v\n"),
        ],
    );
    let changed = strings(&["databricks_job.a"]);
    let added = strings(&["databricks_job.d"]);
    let removed = strings(&["databricks_job.e"]);
    let message = git::message(
        &Summary {
            host: "https://dbc-primary.cloud.databricks.com",
            added: &added,
            changed: &changed,
            removed: &removed,
            renamed: &[],
        },
        None,
    )
    .unwrap();
    let second = commit(&repo, &message, T0 + 60).unwrap().unwrap();
    assert_eq!(second.parent, Some(first.id));
    assert_eq!(
        commits_on(&raw, "refs/heads/main"),
        vec![second.id, first.id]
    );

    let stored = raw.find_commit(second.id).unwrap();
    let text = stored.message().unwrap();
    assert_eq!(
        text.lines().next().unwrap(),
        "drsync: 1 job changed, 1 added, 1 removed (primary dbc-primary.cloud.d…)"
    );
    assert_eq!(text.lines().next().unwrap().chars().count(), 72);
    let listed: Vec<&str> = text
        .lines()
        .filter(|l| l.starts_with("~ ") || l.starts_with("+ ") || l.starts_with("- "))
        .collect();
    assert_eq!(
        listed,
        vec![
            "~ databricks_job.a",
            "+ databricks_job.d",
            "- databricks_job.e"
        ]
    );
    assert!(text.contains("\nSource-Workspace: dbc-primary.cloud.databricks.com\n"));
    assert!(text.contains(&format!(
        "\nDrsync-Version: {}\n",
        env!("CARGO_PKG_VERSION")
    )));
    assert_eq!(read(&dir.join("jobs.tf")), "a' b d\n");
    assert_eq!(
        tree_files(&raw, "HEAD")["dr/jobs.tf"],
        "a' b d\n".to_string()
    );
}

#[test]
fn removed_files_are_removed_from_the_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = init(tmp.path());
    let dir = tmp.path().join("dr");
    export_files(&dir, &[("jobs.tf", "j\n"), ("clusters.tf", "c\n")]);
    let repo = git::open(&dir, &settings()).unwrap();
    commit(&repo, "one", T0).unwrap().unwrap();
    export_files(&dir, &[("jobs.tf", "j\n")]);
    commit(&repo, "two", T0 + 1).unwrap().unwrap();
    assert_eq!(
        tree_files(&raw, "HEAD").keys().collect::<Vec<_>>(),
        vec!["dr/jobs.tf"]
    );
    assert_eq!(git_cli(tmp.path(), &["status", "--porcelain"]), "");
}

#[test]
fn unrelated_dirty_staged_and_untracked_files_are_neither_committed_nor_disturbed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    write(&root.join("README.md"), "readme v1\n");
    write(&root.join("other/staged.txt"), "staged v1\n");
    write(&root.join("other/deleted.txt"), "to delete\n");
    commit_by_hand(
        &raw,
        &["README.md", "other/staged.txt", "other/deleted.txt"],
        "by hand",
        T0,
    );
    // Now make the work tree dirty in every way.
    write(&root.join("README.md"), "readme v2, not staged\n");
    write(&root.join("other/staged.txt"), "staged v2\n");
    let mut index = raw.index().unwrap();
    index.add_path(Path::new("other/staged.txt")).unwrap();
    index.write().unwrap();
    write(&root.join("other/staged.txt"), "staged v3, not staged\n");
    std::fs::remove_file(root.join("other/deleted.txt")).unwrap();
    write(&root.join("notes.txt"), "untracked\n");
    let status_before = git_cli(root, &["status", "--porcelain", "--untracked-files=all"]);
    assert_eq!(
        status_before,
        " M README.md\n D other/deleted.txt\nMM other/staged.txt\n?? notes.txt\n"
    );

    let dir = root.join("dr");
    export_files(&dir, &[("jobs.tf", "j\n")]);
    let repo = git::open(&dir, &settings()).unwrap();
    let c = commit(&repo, "export", T0 + 60).unwrap().unwrap();

    // The commit holds the previous commit's files plus the export, nothing of the dirt.
    assert_eq!(
        tree_files(&raw, &c.id.to_string()),
        BTreeMap::from([
            ("README.md".to_string(), "readme v1\n".to_string()),
            ("dr/jobs.tf".to_string(), "j\n".to_string()),
            ("other/deleted.txt".to_string(), "to delete\n".to_string()),
            ("other/staged.txt".to_string(), "staged v1\n".to_string()),
        ])
    );
    // The files and their status are as they were.
    assert_eq!(read(&root.join("README.md")), "readme v2, not staged\n");
    assert_eq!(
        read(&root.join("other/staged.txt")),
        "staged v3, not staged\n"
    );
    assert_eq!(read(&root.join("notes.txt")), "untracked\n");
    assert!(!root.join("other/deleted.txt").exists());
    assert_eq!(
        git_cli(root, &["status", "--porcelain", "--untracked-files=all"]),
        status_before
    );
    // The staged change is still staged, with the content that was staged.
    assert_eq!(
        git_cli(root, &["diff", "--cached", "--", "other/staged.txt"])
            .lines()
            .filter(|l| l.starts_with('+') && !l.starts_with("+++"))
            .collect::<Vec<_>>(),
        vec!["+staged v2"]
    );
}

#[test]
fn an_export_folder_deep_in_the_repository_replaces_only_its_subtree() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    write(&root.join("infra/main.tf"), "root module\n");
    write(&root.join("infra/dr/workspace/variables.tf"), "old\n");
    write(&root.join("infra/dr/sibling.tf"), "sibling\n");
    commit_by_hand(
        &raw,
        &[
            "infra/main.tf",
            "infra/dr/workspace/variables.tf",
            "infra/dr/sibling.tf",
        ],
        "by hand",
        T0,
    );
    let dir = root.join("infra/dr/workspace");
    export_files(&dir, &[("jobs.tf", "j\n"), ("drsync-labels.json", "{}\n")]);
    // A relative, unnormalised path works too.
    let relative = dir.join("../workspace/.");
    let repo = git::open(&relative, &settings()).unwrap();
    assert_eq!(repo.prefix(), "infra/dr/workspace");
    commit(&repo, "export", T0 + 1).unwrap().unwrap();
    assert_eq!(
        tree_files(&raw, "HEAD"),
        BTreeMap::from([
            ("infra/dr/sibling.tf".to_string(), "sibling\n".to_string()),
            ("infra/dr/workspace/jobs.tf".to_string(), "j\n".to_string()),
            (
                "infra/dr/workspace/drsync-labels.json".to_string(),
                "{}\n".to_string()
            ),
            ("infra/main.tf".to_string(), "root module\n".to_string()),
        ])
    );
    assert_eq!(git_cli(root, &["status", "--porcelain"]), "");
    assert_eq!(
        repo.read_files("HEAD").unwrap(),
        BTreeMap::from([
            ("drsync-labels.json".to_string(), "{}\n".to_string()),
            ("jobs.tf".to_string(), "j\n".to_string()),
        ])
    );
}

/// Issue 14: an export commit swept up `.terraform/` (a provider binary) and a user's state file. It commits the
/// export's own files and nothing else: not Terraform's working files, not the user's files (untracked ones stay
/// untracked; a tracked one is left as committed, its edit on disk left to its owner), even when nothing ignores
/// them; and the export's files even when an ignore rule (GitHub's Terraform template ignores `*.tfvars`)
/// matches them, since drift reads them back from Git.
#[test]
fn only_the_exports_own_files_are_committed() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    write(&root.join(".gitignore"), "*.tfvars\n");
    write(&root.join("dr/keep.md"), "tracked, v1\n");
    commit_by_hand(&raw, &[".gitignore", "dr/keep.md"], "by hand", T0);

    let dir = root.join("dr");
    write(&dir.join("jobs.tf"), "j\n");
    write(&dir.join("dr.auto.tfvars"), "dr_active = false\n");
    let binary = vec![0x7fu8; 2 << 20];
    std::fs::create_dir_all(dir.join(".terraform/providers")).unwrap();
    std::fs::write(
        dir.join(".terraform/providers/terraform-provider-databricks"),
        &binary,
    )
    .unwrap();
    write(&dir.join("terraform.tfstate"), "state with secrets\n");
    write(&dir.join("terraform.tfstate.backup"), "older state\n");
    write(&dir.join(".terraform.lock.hcl"), "# provider hashes\n");
    write(&dir.join("notes.md"), "mine\n");
    write(&dir.join("keep.md"), "tracked, v2 on disk\n");
    let index_entry = |raw: &git2::Repository| {
        let mut index = raw.index().unwrap();
        index.read(true).unwrap();
        // Stat data aside: git zeroes the size of racily clean entries whenever it writes the index.
        index
            .get_path(Path::new("dr/keep.md"), 0)
            .map(|e| (e.id, e.mode, e.mtime.seconds()))
    };
    let keep_before = index_entry(&raw);

    let repo = git::open(&dir, &settings()).unwrap();
    commit(&repo, "export", T0 + 1).unwrap().unwrap();
    let files = tree_files(&raw, "HEAD");
    assert_eq!(
        files.keys().map(String::as_str).collect::<Vec<_>>(),
        vec![
            ".gitignore",
            "dr/dr.auto.tfvars",
            "dr/jobs.tf",
            "dr/keep.md"
        ]
    );
    assert_eq!(files["dr/keep.md"], "tracked, v1\n");
    assert_eq!(index_entry(&raw), keep_before);
    assert_eq!(
        git_cli(root, &["status", "--porcelain", "--untracked-files=all"]),
        " M dr/keep.md\n?? dr/.terraform.lock.hcl\n\
         ?? dr/.terraform/providers/terraform-provider-databricks\n?? dr/notes.md\n\
         ?? dr/terraform.tfstate\n?? dr/terraform.tfstate.backup\n"
    );
    // On disk, nothing of the user's moved.
    assert_eq!(read(&dir.join("keep.md")), "tracked, v2 on disk\n");
    assert_eq!(
        std::fs::read(dir.join(".terraform/providers/terraform-provider-databricks")).unwrap(),
        binary
    );
    // A removed export file leaves the commit; the user's stay as they were.
    std::fs::remove_file(dir.join("dr.auto.tfvars")).unwrap();
    commit(&repo, "export 2", T0 + 2).unwrap().unwrap();
    assert_eq!(
        tree_files(&raw, "HEAD")
            .keys()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        vec![".gitignore", "dr/jobs.tf", "dr/keep.md"]
    );
    assert_eq!(commit(&repo, "export 3", T0 + 3).unwrap(), None);
    let bad = commit_files(&repo, &["sub/x.tf"], "x", T0 + 4).unwrap_err();
    assert!(matches!(bad, Error::NotAFileName { .. }), "{bad:?}");
}

#[test]
fn a_missing_branch_is_created_from_head_and_head_is_left_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    write(&root.join("README.md"), "r\n");
    let base = commit_by_hand(&raw, &["README.md"], "base", T0);
    let index_before = std::fs::read(root.join(".git/index")).unwrap();

    let dir = root.join("dr");
    export_files(&dir, &[("jobs.tf", "j\n")]);
    let settings = GitSettings {
        branch: Some("dr-export".into()),
        ..GitSettings::default()
    };
    let repo = git::open(&dir, &settings).unwrap();
    assert!(!repo.branch_exists());
    assert!(!repo.branch_is_checked_out());
    let c = commit(&repo, "export", T0 + 1).unwrap().unwrap();
    assert_eq!(c.parent, Some(base));
    assert_eq!(c.branch, "dr-export");
    assert_eq!(commits_on(&raw, "refs/heads/dr-export"), vec![c.id, base]);
    // main, HEAD and the index are untouched.
    assert_eq!(commits_on(&raw, "refs/heads/main"), vec![base]);
    assert_eq!(
        raw.find_reference("HEAD").unwrap().symbolic_target(),
        Ok(Some("refs/heads/main"))
    );
    assert_eq!(
        std::fs::read(root.join(".git/index")).unwrap(),
        index_before
    );
    // An unchanged export on the existing branch: nothing.
    assert_eq!(commit(&repo, "again", T0 + 2).unwrap(), None);
}

#[test]
fn a_missing_branch_without_changes_is_created_at_head() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    write(&root.join("dr/jobs.tf"), "j\n");
    let base = commit_by_hand(&raw, &["dr/jobs.tf"], "by hand", T0);
    let settings = GitSettings {
        branch: Some("refs/heads/dr".into()),
        ..GitSettings::default()
    };
    let repo = git::open(&root.join("dr"), &settings).unwrap();
    assert_eq!(repo.branch(), "dr");
    assert_eq!(commit(&repo, "export", T0 + 1).unwrap(), None);
    assert_eq!(commits_on(&raw, "refs/heads/dr"), vec![base]);
}

#[test]
fn push_to_a_bare_repository_by_path_url_and_remote_name() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("work");
    let raw = init(&root);
    let bare_path = tmp.path().join("remote.git");
    let bare = init_bare(&bare_path);
    let dir = root.join("dr");
    export_files(&dir, &[("jobs.tf", "j1\n")]);
    let repo = git::open(&dir, &settings()).unwrap();

    // By path.
    let c1 = commit(&repo, "one", T0).unwrap().unwrap();
    repo.push(bare_path.to_str().unwrap(), &PushAuth::default())
        .unwrap();
    assert_eq!(
        bare.find_reference("refs/heads/main").unwrap().target(),
        Some(c1.id)
    );

    // By file:// URL.
    export_files(&dir, &[("jobs.tf", "j2\n")]);
    let c2 = commit(&repo, "two", T0 + 1).unwrap().unwrap();
    let url = format!("file://{}", bare_path.display());
    repo.push(&url, &PushAuth::default()).unwrap();
    assert_eq!(
        bare.find_reference("refs/heads/main").unwrap().target(),
        Some(c2.id)
    );

    // By a configured remote's name; pushing again with nothing new is fine.
    raw.remote("origin", bare_path.to_str().unwrap()).unwrap();
    export_files(&dir, &[("jobs.tf", "j3\n")]);
    let c3 = commit(&repo, "three", T0 + 2).unwrap().unwrap();
    repo.push("origin", &PushAuth::default()).unwrap();
    repo.push("origin", &PushAuth::default()).unwrap();
    assert_eq!(
        bare.find_reference("refs/heads/main").unwrap().target(),
        Some(c3.id)
    );

    let err = repo.push("nope", &PushAuth::default()).unwrap_err();
    assert!(matches!(err, Error::NoRemote { .. }), "{err}");
}

#[test]
fn a_rejected_push_is_reported_and_the_local_commit_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("work");
    init(&root);
    let bare_path = tmp.path().join("remote.git");
    let bare = init_bare(&bare_path);
    let dir = root.join("dr");
    export_files(&dir, &[("jobs.tf", "j1\n")]);
    let repo = git::open(&dir, &settings()).unwrap();
    let remote = bare_path.to_str().unwrap().to_string();
    let c1 = commit(&repo, "one", T0).unwrap().unwrap();
    repo.push(&remote, &PushAuth::default()).unwrap();

    // Someone else pushes to the remote branch first.
    let theirs = {
        let parent = bare.find_commit(c1.id).unwrap();
        let mut b = bare.treebuilder(Some(&parent.tree().unwrap())).unwrap();
        let blob = bare.blob(b"theirs\n").unwrap();
        b.insert("THEIRS.md", blob, 0o100644).unwrap();
        let tree = bare.find_tree(b.write().unwrap()).unwrap();
        let s = sig(T0 + 5);
        bare.commit(Some("refs/heads/main"), &s, &s, "theirs", &tree, &[&parent])
            .unwrap()
    };

    export_files(&dir, &[("jobs.tf", "j2\n")]);
    let c2 = commit(&repo, "two", T0 + 10).unwrap().unwrap();
    for target in [remote.clone(), format!("file://{remote}")] {
        let err = repo.push(&target, &PushAuth::default()).unwrap_err();
        match &err {
            Error::PushRejected { branch, .. } => assert_eq!(branch, "main"),
            other => panic!("expected a rejection, got {other:?}"),
        }
        let text = err.to_string();
        assert!(text.contains("never force-push"), "{text}");
        assert!(text.contains("local commit is kept"), "{text}");
        assert!(text.contains("git pull --rebase"), "{text}");
    }
    // Local commit kept, remote untouched.
    assert_eq!(
        repo.history(Some(1)).unwrap()[0].id,
        c2.id,
        "the local branch still has the commit"
    );
    assert_eq!(
        bare.find_reference("refs/heads/main").unwrap().target(),
        Some(theirs)
    );
}

#[test]
fn push_errors_never_show_a_token() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("work");
    init(&root);
    let dir = root.join("dr");
    export_files(&dir, &[("jobs.tf", "j\n")]);
    let repo = git::open(&dir, &settings()).unwrap();
    commit(&repo, "one", T0).unwrap().unwrap();
    let auth = PushAuth {
        token: Some(drsync::api::Secret::new("tok-very-secret")),
        username: None,
    };
    // Nothing listens on port 9 of loopback: the push fails fast without any network.
    let err = repo
        .push("https://user:url-secret@127.0.0.1:9/o/r.git", &auth)
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains("tok-very-secret"), "{text}");
    assert!(!text.contains("url-secret"), "{text}");
    assert!(text.contains("https://***@127.0.0.1:9/o/r.git"), "{text}");
}

#[test]
fn concurrent_exports_never_lose_a_commit() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let raw = init(&root);
    let dir = root.join("dr");
    export_files(&dir, &[("base.tf", "b\n")]);
    let first = commit_files(
        &git::open(&dir, &settings()).unwrap(),
        &["base.tf"],
        "base",
        T0,
    )
    .unwrap()
    .unwrap();

    const WRITERS: usize = 4;
    let barrier = std::sync::Arc::new(std::sync::Barrier::new(WRITERS));
    let handles: Vec<_> = (0..WRITERS)
        .map(|i| {
            let dir = dir.clone();
            let barrier = barrier.clone();
            std::thread::spawn(move || {
                let repo = git::open(&dir, &GitSettings::default()).unwrap();
                barrier.wait();
                // Held across writing and committing, as `drsync export` does.
                let lock = repo.lock(Duration::from_secs(60)).unwrap();
                write(&dir.join(format!("writer{i}.tf")), &format!("{i}\n"));
                let name = format!("writer{i}.tf");
                repo.commit(
                    &lock,
                    &[name.as_str()],
                    &format!("writer {i}"),
                    &bot(),
                    at(T0 + 1 + i as i64),
                )
                .unwrap()
                .expect("each writer changes something")
            })
        })
        .collect();
    let ids: Vec<git2::Oid> = handles.into_iter().map(|h| h.join().unwrap().id).collect();

    let history = commits_on(&raw, "refs/heads/main");
    assert_eq!(history.len(), WRITERS + 1);
    assert_eq!(*history.last().unwrap(), first.id);
    for id in &ids {
        assert!(history.contains(id));
    }
    let files = tree_files(&raw, "HEAD");
    for i in 0..WRITERS {
        assert_eq!(files[&format!("dr/writer{i}.tf")], format!("{i}\n"));
    }
    git_cli(&root, &["fsck", "--strict", "--no-progress"]);
    assert_eq!(git_cli(&root, &["status", "--porcelain"]), "");
}

#[test]
fn a_second_export_waits_for_the_lock_then_fails_clearly() {
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let dir = tmp.path().join("dr");
    export_files(&dir, &[("jobs.tf", "j\n")]);
    let repo = git::open(&dir, &settings()).unwrap();
    let held = repo.lock(Duration::ZERO).unwrap();

    let other = git::open(&dir, &settings()).unwrap();
    let started = std::time::Instant::now();
    let err = other.lock(Duration::from_millis(300)).unwrap_err();
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(matches!(err, Error::Locked { .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("another drsync export"), "{text}");
    assert!(text.contains(".git/drsync.lock"), "{text}");

    // Released on drop; a lock of another repository is refused.
    drop(held);
    let lock = other.lock(Duration::ZERO).unwrap();
    assert!(other
        .commit(&lock, FILES, "x", &bot(), at(T0))
        .unwrap()
        .is_some());

    let tmp2 = tempfile::tempdir().unwrap();
    init(tmp2.path());
    let dir2 = tmp2.path().join("dr");
    export_files(&dir2, &[("jobs.tf", "j\n")]);
    let elsewhere = git::open(&dir2, &settings()).unwrap();
    let err = elsewhere
        .commit(&lock, FILES, "x", &bot(), at(T0))
        .unwrap_err();
    assert!(matches!(err, Error::WrongLock { .. }), "{err:?}");
}

#[test]
fn concurrent_processes_are_serialised_by_the_lock_file() {
    // Two opens of the lock in one process behave like two processes: `flock` locks belong to the open file.
    // No wall-clock bound: the waiter must not get the lock while it is held (it cannot, however slowly it is
    // scheduled), and must get it once it is released.
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let dir = tmp.path().join("dr");
    let a = git::open(&dir, &settings()).unwrap();
    let b = git::open(&dir, &settings()).unwrap();
    let c = git::open(&dir, &settings()).unwrap();
    let held = a.lock(Duration::ZERO).unwrap();
    assert!(
        matches!(c.lock(Duration::ZERO), Err(Error::Locked { .. })),
        "a held lock is not given twice"
    );
    let (done, finished) = std::sync::mpsc::channel();
    let waiter = std::thread::spawn(move || {
        let got = b.lock(Duration::from_secs(60)).map(drop);
        done.send(()).unwrap();
        got
    });
    assert_eq!(
        finished.recv_timeout(Duration::from_millis(200)),
        Err(std::sync::mpsc::RecvTimeoutError::Timeout),
        "the waiter got the lock while it was held"
    );
    drop(held);
    waiter
        .join()
        .unwrap()
        .expect("the waiter gets the lock once it is released");
}

#[test]
fn read_files_at_head_and_at_older_commits() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    write(&root.join("README.md"), "no export yet\n");
    let before = commit_by_hand(&raw, &["README.md"], "before", T0);
    let dir = root.join("dr");
    export_files(&dir, &[("jobs.tf", "v1\n"), ("drsync-labels.json", "{}\n")]);
    let repo = git::open(&dir, &settings()).unwrap();
    let c1 = commit(&repo, "one", T0 + 1).unwrap().unwrap();
    export_files(&dir, &[("jobs.tf", "v2\n"), ("drsync-labels.json", "{}\n")]);
    commit(&repo, "two", T0 + 2).unwrap().unwrap();
    // The work tree differs from both: read_files reads Git, not the folder.
    write(&dir.join("jobs.tf"), "uncommitted\n");

    let at_head = repo.read_files("HEAD").unwrap();
    assert_eq!(at_head["jobs.tf"], "v2\n");
    assert_eq!(at_head.len(), 2);
    assert_eq!(repo.read_files("HEAD~1").unwrap()["jobs.tf"], "v1\n");
    assert_eq!(
        repo.read_files(&c1.id.to_string()).unwrap()["jobs.tf"],
        "v1\n"
    );
    assert_eq!(repo.read_files("main").unwrap()["jobs.tf"], "v2\n");
    let err = repo.read_files(&before.to_string()).unwrap_err();
    assert!(matches!(err, Error::NoExportAt { .. }), "{err:?}");
    let err = repo.read_files("no-such-branch").unwrap_err();
    assert!(matches!(err, Error::Revision { .. }), "{err:?}");
}

#[test]
fn history_lists_the_commits_that_changed_the_folder_newest_first() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    let dir = root.join("dr");
    let repo = git::open(&dir, &settings()).unwrap();
    assert_eq!(repo.history(None).unwrap(), vec![]);
    assert_eq!(repo.newest_export_time().unwrap(), None);

    export_files(&dir, &[("jobs.tf", "v1\n")]);
    let c1 = commit(&repo, "drsync: one\n\nDrsync-Version: 0\n", T0)
        .unwrap()
        .unwrap();
    write(&root.join("README.md"), "unrelated\n");
    commit_by_hand(&raw, &["README.md"], "unrelated", T0 + 10);
    export_files(&dir, &[("jobs.tf", "v2\n")]);
    let c2 = commit(&repo, "drsync: two\n\nDrsync-Version: 0\n", T0 + 20)
        .unwrap()
        .unwrap();
    // A person edits the folder by hand.
    write(&dir.join("notes.md"), "hand-made\n");
    let by_hand = commit_by_hand(&raw, &["dr/notes.md"], "a note", T0 + 30);

    let h = repo.history(None).unwrap();
    let ids: Vec<git2::Oid> = h.iter().map(|c| c.id).collect();
    assert_eq!(ids, vec![by_hand, c2.id, c1.id]);
    assert_eq!(
        h.iter().map(|c| c.summary.as_str()).collect::<Vec<_>>(),
        vec!["a note", "drsync: two", "drsync: one"]
    );
    assert_eq!(
        h.iter().map(|c| c.by_drsync).collect::<Vec<_>>(),
        vec![false, true, true]
    );
    assert_eq!(h[1].author, "drsync test <drsync-test@example.com>");
    assert_eq!(h[1].time.seconds, T0 + 20);
    assert_eq!(repo.history(Some(2)).unwrap().len(), 2);
    assert_eq!(repo.newest_export_time().unwrap(), at(T0 + 20));
}

#[test]
fn the_whole_work_tree_can_be_the_export_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    write(&root.join("jobs.tf"), "j\n");
    let repo = git::open(root, &settings()).unwrap();
    assert_eq!(repo.prefix(), "");
    commit(&repo, "one", T0).unwrap().unwrap();
    assert_eq!(
        tree_files(&raw, "HEAD").keys().collect::<Vec<_>>(),
        vec!["jobs.tf"]
    );
    assert_eq!(repo.read_files("HEAD").unwrap().len(), 1);
    assert_eq!(git_cli(root, &["status", "--porcelain"]), "");
}

#[test]
fn open_explains_what_is_wrong() {
    let tmp = tempfile::tempdir().unwrap();
    let lone = tmp.path().join("lone");
    std::fs::create_dir(&lone).unwrap();
    // A temp folder is not inside a repository (unless the machine's /tmp is: then this proves nothing).
    if git2::Repository::discover(&lone).is_err() {
        let err = git::open(&lone.join("dr"), &settings()).unwrap_err();
        assert!(matches!(err, Error::NoRepository { .. }), "{err:?}");
        assert!(err.to_string().contains("not inside a git repository"));
    }

    let root = tmp.path().join("repo");
    let raw = init(&root);
    // An explicit repository that does not contain the folder.
    let err = git::open(
        &lone,
        &GitSettings {
            repo: Some(root.clone()),
            ..GitSettings::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::OutsideWorkTree { .. }), "{err:?}");
    // Inside .git.
    let err = git::open(&root.join(".git/x"), &settings()).unwrap_err();
    assert!(matches!(err, Error::OutsideWorkTree { .. }), "{err:?}");
    // A bad branch name.
    let err = git::open(
        &root.join("dr"),
        &GitSettings {
            branch: Some("bad..name".into()),
            ..GitSettings::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::InvalidBranch { .. }), "{err:?}");
    // A detached HEAD (as CI checks out) can be read; committing to it needs a branch.
    write(&root.join("a.txt"), "a\n");
    let id = commit_by_hand(&raw, &["a.txt"], "a", T0);
    raw.set_head_detached(id).unwrap();
    let detached = git::open(&root.join("dr"), &settings()).unwrap();
    assert!(detached.is_detached());
    assert_eq!(detached.branch(), "HEAD");
    std::fs::create_dir_all(root.join("dr")).unwrap();
    let lock = detached.lock(std::time::Duration::from_secs(1)).unwrap();
    let err = detached
        .commit(&lock, FILES, "x", &git::Author::fallback(), None)
        .unwrap_err();
    assert!(matches!(err, Error::DetachedHead { .. }), "{err:?}");
    drop(lock);
    let ok = git::open(
        &root.join("dr"),
        &GitSettings {
            branch: Some("main".into()),
            ..GitSettings::default()
        },
    )
    .unwrap();
    assert!(!ok.branch_is_checked_out());
    // A bare repository has no work tree.
    let bare = tmp.path().join("bare.git");
    init_bare(&bare);
    let err = git::open(
        &lone,
        &GitSettings {
            repo: Some(bare),
            ..GitSettings::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, Error::Bare { .. }), "{err:?}");
    // No export folder: nothing to commit.
    let repo = git::open(
        &root.join("missing"),
        &GitSettings {
            branch: Some("main".into()),
            ..GitSettings::default()
        },
    )
    .unwrap();
    let err = commit(&repo, "x", T0).unwrap_err();
    assert!(matches!(err, Error::NoExportFolder { .. }), "{err:?}");
}

#[test]
fn the_author_comes_from_settings_then_repository_config() {
    let tmp = tempfile::tempdir().unwrap();
    let raw = init(tmp.path());
    let repo = git::open(&tmp.path().join("dr"), &settings()).unwrap();
    assert_eq!(
        repo.author(Some("Ops <ops@example.com>"))
            .unwrap()
            .to_string(),
        "Ops <ops@example.com>"
    );
    assert!(matches!(
        repo.author(Some("ops@example.com")).unwrap_err(),
        Error::InvalidAuthor { .. }
    ));
    let mut cfg = raw.config().unwrap();
    cfg.set_str("user.name", "Repo User").unwrap();
    cfg.set_str("user.email", "repo@example.com").unwrap();
    assert_eq!(
        repo.author(None).unwrap().to_string(),
        "Repo User <repo@example.com>"
    );
}

#[test]
fn executable_bits_and_symlinks_are_committed_as_git_would() {
    use std::os::unix::fs::PermissionsExt;
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    let dir = root.join("dr");
    export_files(&dir, &[("run.sh", "#!/bin/sh\n"), ("jobs.tf", "j\n")]);
    std::fs::set_permissions(dir.join("run.sh"), std::fs::Permissions::from_mode(0o755)).unwrap();
    std::os::unix::fs::symlink("jobs.tf", dir.join("link.tf")).unwrap();
    let repo = git::open(&dir, &settings()).unwrap();
    commit_files(&repo, &["run.sh", "jobs.tf", "link.tf"], "one", T0)
        .unwrap()
        .unwrap();
    let tree = raw.head().unwrap().peel_to_tree().unwrap();
    let mode = |p: &str| tree.get_path(Path::new(p)).unwrap().filemode();
    assert_eq!(mode("dr/run.sh"), 0o100755);
    assert_eq!(mode("dr/jobs.tf"), 0o100644);
    assert_eq!(mode("dr/link.tf"), 0o120000);
    assert_eq!(git_cli(root, &["status", "--porcelain"]), "");
    let _: PathBuf = repo.export_dir().to_path_buf();
}

/// A tiny HTTP server that answers every request with 401 and records the `Authorization` headers it got.
fn refusing_http_server() -> (String, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!(
        "http://127.0.0.1:{}/o/r.git",
        listener.local_addr().unwrap().port()
    );
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let record = seen.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                if line == "\r\n" {
                    break;
                }
                if let Some(v) = line.strip_prefix("Authorization: ") {
                    record.lock().unwrap().push(v.trim().to_string());
                }
                line.clear();
            }
            let _ = stream.write_all(
                b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"git\"\r\n\
                  Content-Length: 0\r\nConnection: close\r\n\r\n",
            );
        }
    });
    (url, seen)
}

#[test]
fn an_https_token_is_sent_as_basic_auth_and_a_refusal_is_an_auth_error() {
    use base64::Engine;
    let tmp = tempfile::tempdir().unwrap();
    init(tmp.path());
    let dir = tmp.path().join("dr");
    export_files(&dir, &[("jobs.tf", "j\n")]);
    let repo = git::open(&dir, &settings()).unwrap();
    commit(&repo, "one", T0).unwrap().unwrap();

    let (url, seen) = refusing_http_server();
    let auth = PushAuth {
        token: Some(drsync::api::Secret::new("tok-very-secret")),
        username: None,
    };
    let err = repo.push(&url, &auth).unwrap_err();
    assert!(matches!(err, Error::PushAuth { .. }), "{err:?}");
    let text = format!("{err} {err:?}");
    assert!(!text.contains("tok-very-secret"), "{text}");
    assert!(
        text.contains("offered the token, which the remote refused"),
        "{text}"
    );
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("x-access-token:tok-very-secret")
    );
    let seen = seen.lock().unwrap().clone();
    assert!(
        !seen.is_empty() && seen.iter().all(|h| *h == expected),
        "{seen:?}"
    );

    // Without a token: a clear message, and nothing sent.
    let (url, seen) = refusing_http_server();
    let err = repo.push(&url, &PushAuth::default()).unwrap_err();
    assert!(matches!(err, Error::PushAuth { .. }), "{err:?}");
    assert!(
        err.to_string().contains("no credentials were available"),
        "{err}"
    );
    assert!(seen.lock().unwrap().is_empty());

    // Another user name (GitLab's).
    let (url, seen) = refusing_http_server();
    let auth = PushAuth {
        token: Some(drsync::api::Secret::new("glpat")),
        username: Some("oauth2".into()),
    };
    repo.push(&url, &auth).unwrap_err();
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("oauth2:glpat")
    );
    assert!(seen.lock().unwrap().contains(&expected));
}

#[test]
fn leftovers_of_a_killed_write_beside_the_folder_are_never_committed() {
    // `export::write` assembles the new folder in `.NAME.drsync-new-PID` beside the export folder; a kill can
    // leave one behind. Only the export folder itself is committed.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    let dir = root.join("dr");
    export_files(&dir, &[("jobs.tf", "complete\n")]);
    write(&root.join(".dr.drsync-new-4242/jobs.tf"), "half\n");
    let repo = git::open(&dir, &settings()).unwrap();
    commit(&repo, "one", T0).unwrap().unwrap();
    assert_eq!(
        tree_files(&raw, "HEAD"),
        BTreeMap::from([("dr/jobs.tf".to_string(), "complete\n".to_string())])
    );
    assert_eq!(read(&root.join(".dr.drsync-new-4242/jobs.tf")), "half\n");
}

#[test]
fn no_commit_while_a_merge_is_in_progress_on_the_checked_out_branch() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    write(&root.join("a.txt"), "a\n");
    let base = commit_by_hand(&raw, &["a.txt"], "a", T0);
    write(&root.join(".git/MERGE_HEAD"), &format!("{base}\n"));
    let dir = root.join("dr");
    export_files(&dir, &[("jobs.tf", "j\n")]);
    let repo = git::open(&dir, &settings()).unwrap();
    let err = commit(&repo, "x", T0 + 1).unwrap_err();
    assert!(matches!(err, Error::InProgress { .. }), "{err:?}");
    assert!(
        err.to_string().contains("a git merge is in progress"),
        "{err}"
    );
    assert_eq!(commits_on(&raw, "refs/heads/main"), vec![base]);
}

#[test]
fn a_branch_moved_by_someone_else_meanwhile_loses_no_commit() {
    // Someone commits to the branch without drsync's lock (a person, CI) while drsync commits: the branch is
    // moved with a compare-and-swap, so each side either lands on top of the other or retries.
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().to_path_buf();
    let raw = init(&root);
    write(&root.join("a.txt"), "a\n");
    commit_by_hand(&raw, &["a.txt"], "base", T0);
    let settings = GitSettings {
        branch: Some("dr".into()),
        ..GitSettings::default()
    };
    let dir = root.join("dr");
    export_files(&dir, &[("jobs.tf", "0\n")]);
    let repo = git::open(&dir, &settings).unwrap();
    commit(&repo, "first", T0).unwrap().unwrap();

    let other_root = root.clone();
    let other = std::thread::spawn(move || {
        let raw = git2::Repository::open(&other_root).unwrap();
        let mut made = Vec::new();
        for i in 0..40 {
            loop {
                let parent = raw
                    .find_reference("refs/heads/dr")
                    .unwrap()
                    .peel_to_commit()
                    .unwrap();
                let mut b = raw.treebuilder(Some(&parent.tree().unwrap())).unwrap();
                let blob = raw.blob(format!("{i}\n").as_bytes()).unwrap();
                b.insert("other.txt", blob, 0o100644).unwrap();
                let tree = raw.find_tree(b.write().unwrap()).unwrap();
                let s = sig(T0 + i);
                // Like `git commit`: moves the branch only if it still points at the parent.
                match raw.commit(Some("refs/heads/dr"), &s, &s, "other", &tree, &[&parent]) {
                    Ok(id) => {
                        made.push(id);
                        break;
                    }
                    Err(_) => continue,
                }
            }
        }
        made
    });
    let mut ours = Vec::new();
    let mut last = 0;
    for i in 1..=20 {
        export_files(&dir, &[("jobs.tf", &format!("{i}\n"))]);
        match commit(&repo, "export", T0 + i) {
            Ok(c) => {
                ours.push(c.expect("a change").id);
                last = i;
            }
            // Refusing is fine too: nothing was committed, nothing was lost.
            Err(Error::BranchMoved { .. }) => {}
            Err(e) => panic!("{e:?}"),
        }
    }
    let theirs = other.join().unwrap();
    assert!(!ours.is_empty());
    let history = commits_on(&raw, "refs/heads/dr");
    for id in ours.iter().chain(&theirs) {
        assert!(history.contains(id), "commit {id} was lost");
    }
    assert_eq!(history.len(), 1 + 1 + ours.len() + theirs.len());
    assert_eq!(
        repo.read_files("dr").unwrap()["jobs.tf"],
        format!("{last}\n")
    );
    git_cli(&root, &["fsck", "--strict", "--no-progress"]);
}

#[test]
fn committed_files_are_what_the_next_commit_builds_on() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    let dir = root.join("dr");
    let repo = git::open(&dir, &settings()).unwrap();
    // Unborn: nothing committed.
    assert_eq!(repo.committed_files().unwrap(), BTreeMap::new());
    write(&root.join("README.md"), "r\n");
    commit_by_hand(&raw, &["README.md"], "r", T0);
    // A commit without the folder: nothing either.
    assert_eq!(repo.committed_files().unwrap(), BTreeMap::new());
    export_files(&dir, &[("jobs.tf", "v1\n")]);
    commit(&repo, "one", T0 + 1).unwrap().unwrap();
    // A `--no-commit` run changed the folder: the committed files are still v1.
    export_files(&dir, &[("jobs.tf", "v2\n")]);
    assert_eq!(
        repo.committed_files().unwrap(),
        BTreeMap::from([("jobs.tf".to_string(), "v1\n".to_string())])
    );
    // A branch still to be created builds on HEAD.
    let other = git::open(
        &dir,
        &GitSettings {
            branch: Some("dr".into()),
            ..GitSettings::default()
        },
    )
    .unwrap();
    assert_eq!(other.committed_files().unwrap()["jobs.tf"], "v1\n");
}

/// Issue 14: a stale `refs/heads/BRANCH.lock` (left by a killed git) gave a misleading "branch moved" error and
/// left the folder staged. It is named, with what to do, by `lock` (before the export writes anything) and by
/// `commit`, which changes nothing: no commit, the branch and the index as they were.
#[test]
fn a_stale_ref_lock_is_named_and_nothing_is_staged() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    let raw = init(root);
    let dir = root.join("dr");
    export_files(&dir, &[("jobs.tf", "v1\n")]);
    let repo = git::open(&dir, &settings()).unwrap();
    let first = commit(&repo, "one", T0).unwrap().unwrap();
    export_files(&dir, &[("jobs.tf", "v2\n"), ("clusters.tf", "c\n")]);
    let stale = root.join(".git/refs/heads/main.lock");
    write(&stale, "");
    let status_before = git_cli(root, &["status", "--porcelain"]);
    assert_eq!(status_before, " M dr/jobs.tf\n?? dr/clusters.tf\n");
    // What is staged: the index's entries without their stat data (`git status` rewrites the index, smudging
    // the size of racily clean entries).
    let staged = || {
        let mut index = raw.index().unwrap();
        index.read(true).unwrap();
        index
            .iter()
            .map(|e| (e.path, e.id, e.mode, e.flags))
            .collect::<Vec<_>>()
    };
    let index_before = staged();

    let check = |err: Error| {
        assert!(matches!(err, Error::RefLocked { .. }), "{err:?}");
        let text = err.to_string();
        assert!(text.contains(&stale.display().to_string()), "{text}");
        assert!(
            text.contains(&format!(
                "another git process is running, or one was killed: remove {} if none is running",
                stale.display()
            )),
            "{text}"
        );
        assert!(text.contains("branch main"), "{text}");
        assert!(!text.contains("moved"), "{text}");
    };
    let started = std::time::Instant::now();
    check(repo.lock(Duration::from_secs(30)).unwrap_err());
    assert!(started.elapsed() < Duration::from_secs(10));

    // The lock appears after the export lock was taken: the commit names it and changes nothing.
    std::fs::remove_file(&stale).unwrap();
    let lock = repo.lock(Duration::from_secs(30)).unwrap();
    write(&stale, "");
    check(
        repo.commit(&lock, FILES, "two", &bot(), at(T0 + 1))
            .unwrap_err(),
    );
    assert_eq!(commits_on(&raw, "refs/heads/main"), vec![first.id]);
    assert_eq!(staged(), index_before);
    assert_eq!(git_cli(root, &["status", "--porcelain"]), status_before);

    // Removed, as the message says: the export commits.
    std::fs::remove_file(&stale).unwrap();
    let second = repo
        .commit(&lock, FILES, "two", &bot(), at(T0 + 1))
        .unwrap()
        .unwrap();
    assert_eq!(second.parent, Some(first.id));
    assert_eq!(git_cli(root, &["status", "--porcelain"]), "");
}
