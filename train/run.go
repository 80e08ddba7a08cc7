package train

import "gorgonet/model"

// CheckOutput checks, before any work, that a file can be saved at path (model.CheckSavePath: not
// a directory, its directory made when missing and writable), so that a program refuses an output
// rather than losing its result at the end. The error is a *SettingError naming the setting (the
// program's flag) and the path: "--save out/m.model: is a directory, not a file". An empty path
// (no output) is nil.
func CheckOutput(setting, path string) error {
	if path == "" {
		return nil
	}
	if err := model.CheckSavePath(path); err != nil {
		return settingErr(setting, path, "%v", err)
	}
	return nil
}

// CheckOutputDir is CheckOutput for a directory that files will be written into: it is made when
// missing (model.PrepareDir) and must be writable. An empty dir is nil.
func CheckOutputDir(setting, dir string) error {
	if dir == "" {
		return nil
	}
	if err := model.PrepareDir(dir); err != nil {
		return settingErr(setting, dir, "%v", err)
	}
	return nil
}
