from modelops_git.cli import main

main()
